import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach } from 'vitest';
import { start, type StartOptions } from '../../playground/server';

/**
 * A tiny client for the reference server tests. Node's fetch (undici) keeps no cookies, so the
 * refresh cookie is carried by hand: `Session` remembers the one cookie the server sets on /auth.
 */

export const ALICE = { username: 'alice', password: 'wonderland' } as const;
export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

type Running = Awaited<ReturnType<typeof start>>;
const running: Running[] = [];

/** Starts a server on a free loopback port; it is closed after the current test. */
export async function startServer(options: StartOptions = {}): Promise<Running> {
  const server = await start({ host: '127.0.0.1', port: 0, jwtSecret: TEST_SECRET, ...options });
  running.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** The refresh cookie's value from a response: a string, '' when cleared, undefined when not set. */
export function refreshCookieOf(res: Response): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const match = /^(?:__Host-)?refresh_token=([^;]*)/.exec(line);
    if (match) return /;\s*Max-Age=0(?:;|$)/i.test(line) ? '' : (match[1] ?? '');
  }
  return undefined;
}

export class Session {
  cookie: string | undefined;
  accessToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly headers: Record<string, string> = {},
  ) {}

  /** A raw request carrying the cookie and (unless given) the access token. */
  async fetch(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    if (this.cookie && path.startsWith('/auth/')) headers.cookie = `refresh_token=${this.cookie}`;
    if (this.accessToken && !path.startsWith('/auth/') && !('authorization' in headers)) {
      headers.authorization = `Bearer ${this.accessToken}`;
    }
    const res = await fetch(new URL(path, this.baseUrl), { ...init, headers });
    const cookie = refreshCookieOf(res);
    if (cookie !== undefined) this.cookie = cookie || undefined;
    return res;
  }

  private async tokens(res: Response): Promise<Response> {
    if (res.status === 200) {
      const body = (await res.clone().json()) as { accessToken: string };
      this.accessToken = body.accessToken;
    }
    return res;
  }

  async login(credentials: { username: string; password: string } = ALICE): Promise<Response> {
    const res = await this.fetch('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    });
    return this.tokens(res);
  }

  async refresh(): Promise<Response> {
    return this.tokens(await this.fetch('/auth/refresh', { method: 'POST' }));
  }

  /** A refresh with an explicit cookie value, without touching this session's state. */
  refreshWith(cookie: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(new URL('/auth/refresh', this.baseUrl), {
      method: 'POST',
      headers: { ...this.headers, ...headers, cookie: `refresh_token=${cookie}` },
    });
  }

  logout(): Promise<Response> {
    return this.fetch('/auth/logout', { method: 'POST' });
  }

  createPost(input: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch('/api/posts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof input === 'string' ? input : JSON.stringify(input),
    });
  }
}

/** Logs alice in on a fresh session and returns it. */
export async function loggedIn(baseUrl: string): Promise<Session> {
  const session = new Session(baseUrl);
  const res = await session.login();
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return session;
}

/**
 * Sends `head` (request line and header lines, without the final blank line) and `body` over a raw
 * TCP connection, exactly as written: fetch would refuse a broken request-target and merge repeated
 * headers. `Connection: close` lets the server end the exchange. Resolves to the status and the body.
 */
export function rawExchange(baseUrl: string, head: string[], body = ''): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  const lines = [...head, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`];
  return new Promise((resolve, reject) => {
    // write, not end: a half-closed socket makes node:http drop a response that is still being computed.
    const socket = connect(Number(port), hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

/**
 * A login sent from another loopback source address (Linux routes all of 127/8 to lo), so the
 * server sees a different client address. fetch cannot pick its source address; node:http can.
 */
export function loginFrom(
  baseUrl: string,
  localAddress: string,
  credentials: { username: string; password: string } = ALICE,
): Promise<{ status: number; retryAfter: string | undefined; error: string | undefined }> {
  const body = JSON.stringify(credentials);
  return new Promise((resolve, reject) => {
    const req = request(new URL('/auth/login', baseUrl), { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const header = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: header, error: (JSON.parse(text || '{}') as { error?: string }).error });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
