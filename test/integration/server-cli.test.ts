import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/** `npm run playground` minus the build: configuration from the environment, clean shutdown. */

const MAIN = fileURLToPath(new URL('../../playground/main.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('reference server CLI (playground/main.ts)', () => {
  it.each([
    [{ PORT: 'eighty' }, /PORT must be a number, got "eighty"/],
    [{ ACCESS_TTL: '0' }, /ACCESS_TTL must be a whole number of seconds ≥ 1, got 0/],
    [{ REUSE_GRACE: '-1' }, /REUSE_GRACE must be/],
    [{ ALLOWED_ORIGINS: 'https://app.example/path' }, /ALLOWED_ORIGINS must be origins like/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32 characters/],
    [{ REFRESH_FAULT_RATE: '2' }, /REFRESH_FAULT_RATE must be a number 0..1/],
    [{ REDIS_URL: 'redis://127.0.0.1:1' }, /cannot connect to REDIS_URL redis:\/\/127\.0\.0\.1:1/],
    [{ REDIS_URL: 'not a url' }, /REDIS_URL .* is not a valid Redis URL/],
  ])('refuses %o with one clear line and exit code 1', async (env, message) => {
    const proc = run(env);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(message);
    expect(proc.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('prints its URL, serves, and exits 0 on %s', async (signal) => {
    const proc = run({});
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (): void => {
        const match = /auth-fetch playground: (http:\/\/\S+)/.exec(proc.output());
        if (match?.[1]) resolve(match[1]);
      };
      proc.child.stdout?.on('data', onData);
      void proc.exited.then(() => reject(new Error(`exited early:\n${proc.output()}`)));
    });
    const res = await fetch(`${url}/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    });
    expect(res.status).toBe(200);
    proc.child.kill(signal);
    expect(await proc.exited).toBe(0);
  });
});
