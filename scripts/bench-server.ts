/**
 * Refresh throughput of the reference server: one instance with the in-memory store vs one with
 * the Redis store, in one run, same machine, same client. Not a test (numbers depend on the
 * machine); run with `npx tsx scripts/bench-server.ts [seconds] [concurrency]`. The login-flood rows
 * (issue 18) are `npx tsx scripts/bench-server.ts flood [seconds]`, see bench-login-flood.ts.
 *
 * Each of `concurrency` sessions refreshes in a loop, always with its newest cookie, so every
 * request is a real rotation (no grace replays, no reuse). The load comes from a child process, so
 * the server has its event loop to itself; on a small machine client, server and redis-server
 * still share the cores, so the figures are mainly useful side by side.
 * Uses REDIS_URL if set, else starts a throwaway redis-server (Debian's) on a free port.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectRedisStore } from '../playground/store/redis-store';
import { start } from '../playground/server';
import type { Store } from '../playground/store/store';
import { startRedis } from '../harness/redis';
import { loginFloodBench } from './bench-login-flood';

const SECONDS = Number(process.argv[2] === 'flood' ? 5 : (process.argv[2] ?? 5));
const CONCURRENCY = Number(process.argv[3] ?? 16);
const SELF = fileURLToPath(import.meta.url);

function cookieOf(res: Response): string {
  const line = res.headers.getSetCookie().find((value) => value.startsWith('refresh_token='));
  return /^refresh_token=([^;]*)/.exec(line ?? '')?.[1] ?? '';
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status}`);
  await res.arrayBuffer();
  return cookieOf(res);
}

/** The load generator: runs in its own process so it does not take the server's event loop. */
async function hammer(url: string): Promise<{ total: number; elapsed: number }> {
  const cookies = await Promise.all(Array.from({ length: CONCURRENCY }, () => login(url)));
  const until = (deadline: number) => async (cookie: string) => {
    let count = 0;
    while (Date.now() < deadline) {
      const res = await fetch(`${url}/auth/refresh`, { method: 'POST', headers: { cookie: `refresh_token=${cookie}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`refresh answered ${res.status}`);
      cookie = cookieOf(res);
      count += 1;
    }
    return { count, cookie };
  };
  // Warm-up, so JIT and connection set-up do not count.
  const warm = await Promise.all(cookies.map(until(Date.now() + 1000)));
  const startedAt = Date.now();
  const runs = await Promise.all(warm.map((w) => until(startedAt + SECONDS * 1000)(w.cookie)));
  return { total: runs.reduce((sum, run) => sum + run.count, 0), elapsed: (Date.now() - startedAt) / 1000 };
}

async function measure(label: string, store: Store | undefined): Promise<number> {
  const server = await start({ port: 0, reuseGrace: 0, ...(store ? { store } : {}) });
  try {
    const child = spawn(process.execPath, [...process.execArgv, SELF, String(SECONDS), String(CONCURRENCY), server.url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`${label}: load generator exited with ${code}`);
    const { total, elapsed } = JSON.parse(output) as { total: number; elapsed: number };
    const rate = total / elapsed;
    console.log(`${label.padEnd(6)} ${rate.toFixed(0).padStart(6)} refresh/s  (${total} rotations in ${elapsed.toFixed(1)} s, ${CONCURRENCY} sessions)`);
    return rate;
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const ownRedis = process.env.REDIS_URL ? undefined : await startRedis();
  const redisUrl = process.env.REDIS_URL ?? ownRedis?.url ?? '';
  try {
    console.log(`bench: node ${process.version}, ${SECONDS} s per store, ${CONCURRENCY} sessions, Redis at ${redisUrl}`);
    const memory = await measure('memory', undefined);
    const store = await connectRedisStore(redisUrl, { prefix: `bench-${Date.now()}:` });
    const redis = await measure('redis', store).finally(() => store.close());
    console.log(`redis/memory: ${(redis / memory).toFixed(2)}`);
  } finally {
    await ownRedis?.stop();
  }
}

const target = process.argv[4];
const run = (): Promise<void> => {
  if (process.argv[2] === 'flood') return loginFloodBench(Number(process.argv[3] ?? 5));
  return target ? hammer(target).then((result) => console.log(JSON.stringify(result))) : main();
};
run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
