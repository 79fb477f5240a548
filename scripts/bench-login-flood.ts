/**
 * The login-flood rows of the server bench (issue 18): `GET /api/me` latency (p50/p95, one request
 * every 10 ms) with the server idle, then while 32 clients flood `/auth/login` with wrong passwords, (a) for one user from
 * one address, as in the issue, and (b) for random names from 32 loopback addresses (127.0.0.2…),
 * which the per-address throttle cannot stop alone: there the bound on concurrent hashing does the
 * work. Flood and probe each run in a child process, so the server has its event loop to itself.
 * Run with `npx tsx scripts/bench-server.ts flood [seconds]`.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { start } from '../playground/server';

const SELF = fileURLToPath(import.meta.url);
const FLOODERS = 32;
const PROBE_EVERY_MS = 10;

type Role = 'probe' | 'flood-one' | 'flood-many';

interface Answer {
  status: number;
  ms: number;
}

function send(url: string, agent: Agent, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: init.method, headers: init.headers ?? {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - startedAt }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The child's work: probe `/api/me` one request at a time, or flood `/auth/login`, until the deadline. */
async function runRole(role: Role, base: string, seconds: number, token: string): Promise<unknown> {
  const deadline = Date.now() + seconds * 1000;
  if (role === 'probe') {
    // Open loop: one request every PROBE_EVERY_MS whether or not the last one answered, so a stall
    // shows in every request it delays (a closed loop would send one request and wait it out).
    const agent = new Agent({ keepAlive: true });
    const sent: Array<Promise<Answer>> = [];
    while (Date.now() < deadline) {
      sent.push(send(`${base}/api/me`, agent, { method: 'GET', headers: { authorization: `Bearer ${token}` } }));
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
    const answers = await Promise.all(sent);
    const failed = answers.find((answer) => answer.status !== 200);
    if (failed) throw new Error(`/api/me answered ${failed.status}`);
    return answers.map((answer) => answer.ms);
  }
  const statuses: Record<number, number> = {};
  await Promise.all(
    Array.from({ length: FLOODERS }, async (_, index) => {
      const localAddress = role === 'flood-many' ? `127.0.0.${index + 2}` : '127.0.0.1';
      const agent = new Agent({ keepAlive: true, localAddress });
      let n = 0;
      while (Date.now() < deadline) {
        const username = role === 'flood-many' ? `guess-${index}-${(n += 1)}` : 'alice';
        const body = JSON.stringify({ username, password: 'not-the-password' });
        const answer = await send(`${base}/auth/login`, agent, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

function child(role: Role, base: string, seconds: number, token: string): Promise<unknown> {
  const proc = spawn(process.execPath, [...process.execArgv, SELF], {
    env: { ...process.env, FLOOD_ROLE: role, FLOOD_URL: base, FLOOD_SECONDS: String(seconds), FLOOD_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`${role} exited with ${code}`))));
  });
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const row = (label: string, times: number[], extra = ''): string =>
  `| ${label} | ${percentile(times, 50).toFixed(1)} ms | ${percentile(times, 95).toFixed(1)} ms | ${times.length} | ${extra} |`;

async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'bob', password: 'builder' }) });
  if (res.status !== 200) throw new Error(`login answered ${res.status}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export async function loginFloodBench(seconds: number): Promise<void> {
  console.log(`login flood: node ${process.version}, ${seconds} s per phase, ${FLOODERS} flooding clients\n`);
  console.log('| GET /api/me while … | p50 | p95 | requests | login answers |\n| --- | --: | --: | --: | --- |');
  for (const role of ['flood-one', 'flood-many'] as const) {
    // A fresh server per scenario, so one flood's throttle state does not carry into the next.
    const server = await start({ port: 0, accessTtl: 600 });
    try {
      const token = await login(server.url);
      const idle = (await child('probe', server.url, seconds, token)) as number[];
      console.log(row(`idle (${role === 'flood-one' ? 'a' : 'b'})`, idle));
      const [during, statuses] = await Promise.all([child('probe', server.url, seconds, token), child(role, server.url, seconds, token)]);
      const answers = Object.entries(statuses as Record<string, number>).map(([status, n]) => `${status}×${n}`).join(', ');
      const what = role === 'flood-one' ? 'wrong passwords for alice, one address' : 'random names, 32 addresses';
      console.log(row(`flood: ${what}`, during as number[], answers));
    } finally {
      await server.close();
    }
  }
}

const role = process.env.FLOOD_ROLE as Role | undefined;
if (role) {
  runRole(role, process.env.FLOOD_URL ?? '', Number(process.env.FLOOD_SECONDS), process.env.FLOOD_TOKEN ?? '')
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
