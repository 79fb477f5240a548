/**
 * A small real API on 127.0.0.1 for the client's integration tests: it issues short JWT-shaped
 * tokens, refuses expired or revoked ones with 401, honours Idempotency-Key and counts everything.
 * (The playground server is the full reference; this one exposes knobs the client tests need.)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtFor, readExp } from './jwt.js';

export interface ApiServer {
  url: string;
  /** Refresh endpoint behaviour: 'ok', 'reject' (401), 'fail' (503), 'hangup' (connection dropped). */
  mode: 'ok' | 'reject' | 'fail' | 'hangup';
  ttl: number;
  refreshDelayMs: number;
  refreshCalls: number;
  /** Tokens the API refuses although they have not expired (e.g. revoked, or "expire now"). */
  revoked: Set<string>;
  /** Every API request as received (first sends and replays). */
  received: Array<{ method: string; path: string; authorization: string | undefined; key: string | undefined; contentType: string | undefined; body: string }>;
  /** Effects of POST /api/posts, once per Idempotency-Key. */
  posts: Map<string, string>;
  lastToken: string;
  /** Answer every API request with 401, whatever token it carries. */
  refuseAll: boolean;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
};

export async function startApiServer(): Promise<ApiServer> {
  const api = {
    mode: 'ok',
    ttl: 300,
    refreshDelayMs: 0,
    refreshCalls: 0,
    revoked: new Set<string>(),
    received: [],
    posts: new Map<string, string>(),
    lastToken: '',
    refuseAll: false,
  } as unknown as ApiServer;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/auth/refresh') {
      api.refreshCalls++;
      if (api.refreshDelayMs) await new Promise((r) => setTimeout(r, api.refreshDelayMs));
      if (api.mode === 'hangup') return void req.socket.destroy();
      if (api.mode === 'reject') return send(401, { error: 'invalid_refresh_token' });
      if (api.mode === 'fail') return send(503, { error: 'unavailable' });
      api.lastToken = jwtFor(Date.now(), api.ttl);
      return send(200, { accessToken: api.lastToken, expiresIn: api.ttl });
    }
    const body = await readBody(req);
    const authorization = req.headers.authorization;
    const key = req.headers['idempotency-key'] as string | undefined;
    api.received.push({ method: req.method ?? '', path, authorization, key, contentType: req.headers['content-type'], body });
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    const exp = readExp(token);
    if (api.refuseAll || exp === undefined || exp * 1000 <= Date.now() || api.revoked.has(token)) {
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      return send(401, { error: 'token_expired' });
    }
    if (path === '/api/posts' && req.method === 'POST') {
      if (key && api.posts.has(key)) return send(200, { replayed: true });
      api.posts.set(key ?? `anonymous-${api.posts.size}`, body);
      return send(201, { created: true });
    }
    return send(200, { ok: true, method: req.method, contentType: req.headers['content-type'] ?? null, body });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}
