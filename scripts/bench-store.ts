/**
 * The session store's costs, in one run, loopback only. Not a test (figures depend on the machine);
 * run with `npx tsx scripts/bench-store.ts`. Three parts:
 *
 * 1. Memory held by the in-memory store (heap delta after a full GC, divided by N): per session
 *    (one login), per session after ROTATIONS refreshes each, per post of 10 KB with its stored
 *    idempotent answer. `STORE_MODULE=/path/to/memory-store.ts` measures another version of the
 *    store (e.g. an older commit's, via `git show <commit>:playground/memory-store.ts`).
 * 2. Refresh throughput of one server instance on the memory store, one Redis and a three-master
 *    Redis Cluster (throwaway servers this script starts), median of ROUNDS rounds, interleaved.
 *    Each of CONCURRENCY sessions refreshes in a loop with its newest cookie (every request is a
 *    rotation); the load comes from a child process, so the server has its event loop to itself.
 * 3. What the access-token denylist lookup costs per API request: sequential lookups per store,
 *    and GET /api/me requests per second with the lookup in place.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connectRedisStore } from '../playground/store/redis-store';
import { start } from '../playground/server';
import type { Store } from '../playground/store/store';
import { startRedis } from '../harness/redis';
import { startRedisCluster } from '../test/helpers/redis-cluster';
import { median } from './bench-overhead.js';

const SELF = fileURLToPath(import.meta.url);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS_PER_ROUND ?? 2);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const SESSIONS = 2000;
const ROTATED_SESSIONS = 100;
const ROTATIONS = 500;
const POSTS = 1000;
const LOOKUPS = 2000;
const HOUR = 3_600_000;

// ---- 1. Memory held per session and per post ----------------------------------------------------

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

type AnyStore = Pick<Store, 'createFamily' | 'rotateRefreshToken' | 'addPost' | 'close'> & {
  claimIdempotencyKey(...args: unknown[]): Promise<unknown>;
  completeIdempotencyKey(...args: unknown[]): Promise<unknown>;
};

/** The server's steps for one keyed POST; the store before the limits took no user argument. */
async function storePost(store: AnyStore, author: string, body: string): Promise<void> {
  const post = { id: randomUUID(), author, title: 'bench', body, createdAt: new Date().toISOString() };
  const key = randomUUID();
  const response = { status: 201, body: JSON.stringify(post) };
  const scoped = store.claimIdempotencyKey.length === 4;
  await (scoped ? store.claimIdempotencyKey(author, key, 'fp', HOUR) : store.claimIdempotencyKey(`${author}:${key}`, 'fp', HOUR));
  await store.addPost(post, 24 * HOUR);
  await (scoped
    ? store.completeIdempotencyKey(author, key, 'fp', response, 24 * HOUR)
    : store.completeIdempotencyKey(`${author}:${key}`, 'fp', response, 24 * HOUR));
}

async function login(store: AnyStore, userId: string): Promise<string> {
  const now = Date.now();
  const tokenHash = randomUUID();
  await store.createFamily({ familyId: randomUUID(), userId, tokenHash, familyExpiresAt: now + 720 * HOUR, tokenExpiresAt: now + 168 * HOUR });
  return tokenHash;
}

async function perItem(label: string, count: number, fill: (store: AnyStore) => Promise<void>): Promise<void> {
  const modulePath = process.env.STORE_MODULE ?? new URL('../playground/memory-store.ts', import.meta.url).pathname;
  const { createMemoryStore } = (await import(pathToFileURL(modulePath).href)) as { createMemoryStore: () => AnyStore };
  const store = createMemoryStore();
  const before = heapUsed();
  await fill(store);
  const bytes = (heapUsed() - before) / count;
  console.log(`  ${label.padEnd(50)} ${bytes.toFixed(0).padStart(7)} B`);
  await store.close();
}

async function memoryHeld(): Promise<void> {
  console.log(`memory store, heap per item (${process.env.STORE_MODULE ?? 'this checkout'}):`);
  // 50 sessions per user, under the sessionsPerUser cap.
  await perItem(`session (login), N=${SESSIONS}`, SESSIONS, async (store) => {
    for (let i = 0; i < SESSIONS; i += 1) await login(store, `user-${i % (SESSIONS / 50)}`);
  });
  await perItem(`session after ${ROTATIONS} refreshes, N=${ROTATED_SESSIONS}`, ROTATED_SESSIONS, async (store) => {
    for (let i = 0; i < ROTATED_SESSIONS; i += 1) {
      let current = await login(store, `user-${i % 2}`);
      for (let r = 0; r < ROTATIONS; r += 1) {
        const successorHash = randomUUID();
        await store.rotateRefreshToken({ presentedHash: current, successorHash, successorSealed: `sealed-${successorHash}`, now: Date.now(), refreshTtlMs: 168 * HOUR, graceMs: 0 });
        current = successorHash;
      }
    }
  });
  // A fresh body string per post, as JSON.parse of each request gives the server.
  await perItem(`post of 10 KB with its idempotent answer, N=${POSTS}`, POSTS, async (store) => {
    for (let i = 0; i < POSTS; i += 1) await storePost(store, 'alice', Buffer.alloc(10_000, 'x').toString());
  });
}

// ---- 2. and 3. Throughput over HTTP ---------------------------------------------------------------

function cookieOf(res: Response): string {
  const line = res.headers.getSetCookie().find((value) => value.startsWith('refresh_token='));
  return /^refresh_token=([^;]*)/.exec(line ?? '')?.[1] ?? '';
}

/** The load generator (child process): `refresh` rotates in a loop, `me` calls GET /api/me. */
async function hammer(url: string, kind: string): Promise<{ total: number; elapsed: number }> {
  const sessions = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const res = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
      });
      if (res.status !== 200) throw new Error(`login: ${res.status}`);
      const { accessToken } = (await res.json()) as { accessToken: string };
      return { cookie: cookieOf(res), accessToken };
    }),
  );
  const loop = (deadline: number) => async (session: { cookie: string; accessToken: string }) => {
    let count = 0;
    while (Date.now() < deadline) {
      const res =
        kind === 'refresh'
          ? await fetch(`${url}/auth/refresh`, { method: 'POST', headers: { cookie: `refresh_token=${session.cookie}` } })
          : await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${session.accessToken}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${kind} answered ${res.status}`);
      if (kind === 'refresh') session.cookie = cookieOf(res);
      count += 1;
    }
    return count;
  };
  await Promise.all(sessions.map(loop(Date.now() + 500))); // warm-up
  const startedAt = Date.now();
  const counts = await Promise.all(sessions.map(loop(startedAt + SECONDS * 1000)));
  return { total: counts.reduce((sum, n) => sum + n, 0), elapsed: (Date.now() - startedAt) / 1000 };
}

async function perSecond(store: Store, kind: 'refresh' | 'me'): Promise<number> {
  const server = await start({ port: 0, reuseGrace: 0, store });
  try {
    const child = spawn(process.execPath, [...process.execArgv, SELF, server.url, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`load generator exited with ${code}`);
    const { total, elapsed } = JSON.parse(output) as { total: number; elapsed: number };
    return total / elapsed;
  } finally {
    await server.close();
  }
}

async function lookupMicros(store: Store): Promise<number> {
  const startedAt = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS; i += 1) await store.isAccessTokenDenied(`jti-${i}`);
  return Number(process.hrtime.bigint() - startedAt) / 1000 / LOOKUPS;
}

async function throughput(): Promise<void> {
  const { createMemoryStore } = await import('../playground/store/memory-store');
  const redis = await startRedis();
  const cluster = await startRedisCluster().catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  const stores: Record<string, Store> = {
    memory: createMemoryStore(),
    redis: await connectRedisStore(redis.url, { prefix: `bench-${randomUUID()}:` }),
    cluster: await connectRedisStore(cluster.urls.join(','), { cluster: true, prefix: `bench-${randomUUID()}:` }),
  };
  try {
    const figures: Record<string, { refresh: number[]; me: number[]; lookup: number[] }> = {};
    for (const name of Object.keys(stores)) figures[name] = { refresh: [], me: [], lookup: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, store] of Object.entries(stores)) {
        const entry = figures[name];
        if (!entry) continue;
        entry.refresh.push(await perSecond(store, 'refresh'));
        entry.me.push(await perSecond(store, 'me'));
        entry.lookup.push(await lookupMicros(store));
      }
    }
    console.log(`\nthroughput, median of ${ROUNDS} rounds of ${SECONDS} s, ${CONCURRENCY} sessions (node ${process.version}):`);
    console.log('  store     refresh/s   GET /api/me/s   denylist lookup (sequential)');
    const base = median(figures.memory?.refresh ?? []);
    for (const [name, entry] of Object.entries(figures)) {
      const refresh = median(entry.refresh);
      console.log(
        `  ${name.padEnd(8)} ${refresh.toFixed(0).padStart(9)} (${(refresh / base).toFixed(2)}×)` +
          `  ${median(entry.me).toFixed(0).padStart(9)}       ${median(entry.lookup).toFixed(1).padStart(7)} µs`,
      );
    }
  } finally {
    await Promise.all(Object.values(stores).map((store) => store.close()));
    await Promise.all([redis.stop(), cluster.stop()]);
  }
}

async function main(): Promise<void> {
  await memoryHeld();
  if (process.env.STORE_MODULE === undefined) await throughput();
}

const [target, kind = 'refresh'] = process.argv.slice(2);
(target ? hammer(target, kind).then((result) => console.log(JSON.stringify(result))) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
