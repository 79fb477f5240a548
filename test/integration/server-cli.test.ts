import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../playground/config';
import { httpsRequest, makeCertificate, type TestCertificate } from '../helpers/tls';

/** `npm run playground` minus the build: configuration from the environment, clean shutdown. */

const MAIN = fileURLToPath(new URL('../../playground/main.ts', import.meta.url));
const children: ChildProcess[] = [];
let certificate: TestCertificate;

beforeAll(() => {
  certificate = makeCertificate();
});
afterAll(() => certificate?.remove());

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
    [{ TLS_CERT: '/nonexistent/cert.pem' }, /TLS_CERT is set without TLS_KEY/],
    [{ TLS_KEY: '/nonexistent/key.pem' }, /TLS_KEY is set without TLS_CERT/],
    [{ TLS_CERT: '/nonexistent/cert.pem', TLS_KEY: '/nonexistent/key.pem' }, /TLS_CERT cannot be read: ENOENT/],
  ])('refuses %o with one clear line and exit code 1', async (env, message) => {
    const proc = run(env);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(message);
    expect(proc.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses TLS_CERT naming a key file, without quoting the key', async () => {
    const proc = run({ TLS_CERT: certificate.keyPath, TLS_KEY: certificate.keyPath });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/TLS_CERT must be a PEM certificate/);
    expect(proc.output()).not.toContain(certificate.key.toString().split('\n')[1]);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('prints its URL, serves, and exits 0 on %s', async (signal) => {
    const proc = run({});
    const url = await printedUrl(proc);
    const res = await fetch(`${url}/auth/login`, {
      method: 'POST',
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    });
    expect(res.status).toBe(200);
    proc.child.kill(signal);
    expect(await proc.exited).toBe(0);
  });

  it.each([
    [{}, "allowed origins: this server's own (a Vite dev server's page needs e.g. ALLOWED_ORIGINS=http://localhost:5173)", `access tokens live ${DEFAULTS.accessTtl} s`],
    [{ ALLOWED_ORIGINS: 'http://localhost:5173,http://localhost:5174', ACCESS_TTL: '10' }, 'allowed origins: http://localhost:5173, http://localhost:5174 (ALLOWED_ORIGINS)', 'access tokens live 10 s'],
  ])('with %o prints its allowed origins and the access tokens\' lifetime', async (env, origins, lifetime) => {
    const proc = run(env);
    await printedUrl(proc);
    await expect.poll(() => proc.output()).toContain('(ACCESS_TTL)');
    expect(proc.output()).toContain(origins);
    expect(proc.output()).toContain(lifetime);
  });

  it('serves HTTPS with TLS_CERT and TLS_KEY', async () => {
    const proc = run({ TLS_CERT: certificate.certPath, TLS_KEY: certificate.keyPath });
    const url = await printedUrl(proc);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await httpsRequest(`${url}/auth/login`, certificate.cert, {
      method: 'POST',
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    });
    expect(res.status).toBe(200);
    expect(res.setCookies[0]).toMatch(/^__Host-refresh_token=.*; Path=\/; .*Secure/);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it("listens by default on a port that is not Vite's (5173 dev, 4173 preview), the one README and docs/server.md document", () => {
    expect([5173, 4173]).not.toContain(DEFAULTS.port);
    const readme = ['../../README.md', '../../docs/server.md']
      .map((path) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8'))
      .join('\n');
    expect(readme).toContain(`| \`HOST\` / \`PORT\` | \`127.0.0.1\` / \`${DEFAULTS.port}\` |`);
    expect(readme).toContain(`serves http://127.0.0.1:${DEFAULTS.port}`);
    expect(readme).not.toMatch(/127\.0\.0\.1:5173|PORT=5173/);
  });
});

function printedUrl(proc: ReturnType<typeof run>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const onData = (): void => {
      const match = /auth-fetch playground: (https?:\/\/\S+)/.exec(proc.output());
      if (match?.[1]) resolve(match[1]);
    };
    proc.child.stdout?.on('data', onData);
    void proc.exited.then(() => reject(new Error(`exited early:\n${proc.output()}`)));
  });
}
