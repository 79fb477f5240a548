import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createMemoryStore } from './store/memory-store.js';
import { ConfigError, resolveOptions, type StartOptions, type TlsPem } from './config.js';
import { login, logout, refresh } from './auth/routes.js';
import { createPost, listPosts, me } from './api/routes.js';
import type { Handler, ServerContext } from './context.js';
import { createOriginPolicy } from './http/cors.js';
import { HttpError, badRequest, sendError } from './http/messages.js';
import { serveStatic } from './http/static.js';
import { serveSsrApp, ssrAppOf } from './apps/ssr.js';
import { countRequest, createStats, type ServerStats } from './stats.js';
import { StoreUnavailableError } from './store/store.js';
import { createTokenKit, randomSecret } from './auth/tokens.js';
import { createDpopVerifier } from './auth/dpop.js';
import { steal } from './demo/steal.js';
import { createHashingSlots } from './auth/hashing-slots.js';
import { createLoginLog } from './auth/login-log.js';

/**
 * The reference server: plain `node:http`, one routing table, `start()` → `{ url, close, stats }`.
 * Tests, the soak script and `npm run playground` all run this same code.
 */

export type { StartOptions } from './config.js';
export type { ServerStats } from './stats.js';
export type { Store } from './store/store.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
  stats: ServerStats;
}

const ROUTES: Record<string, Handler> = {
  'POST /auth/login': login,
  'POST /auth/refresh': refresh,
  'POST /auth/logout': logout,
  'GET /api/me': me,
  'GET /api/posts': listPosts,
  'POST /api/posts': createPost,
  'POST /demo/steal': steal,
};
const ROUTED_PATHS = new Set(Object.keys(ROUTES).map((key) => key.split(' ')[1]));

/**
 * The path of the request-target (RFC 9112 §3.2). Node's parser lets through absolute forms that
 * the URL parser rejects, such as `http://[::1`: that is the client's mistake, a 400, not a 500.
 */
function targetPath(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://placeholder').pathname;
  } catch {
    throw badRequest('The request-target is not a valid URL');
  }
}

async function route(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  const method = req.method ?? 'GET';
  const pathname = targetPath(req);
  for (const [name, value] of Object.entries(ctx.origins.corsHeaders(req))) res.setHeader(name, value as string);
  // Every answer to a request with a DPoP proof carries our current nonce (RFC 9449 §8, §9).
  if (ctx.dpop.mode !== 'off' && req.headers.dpop !== undefined) res.setHeader('dpop-nonce', ctx.dpop.nonces.current());

  const key = `${method} ${pathname}`;
  const handler = ROUTES[key];
  if (handler) {
    countRequest(ctx.stats, key);
    return handler(req, res, ctx);
  }
  if (method === 'OPTIONS') {
    countRequest(ctx.stats, 'OPTIONS');
    return ctx.origins.preflight(req, res);
  }
  if (ROUTED_PATHS.has(pathname)) {
    countRequest(ctx.stats, '(unmatched)');
    throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here`);
  }
  // The server-rendered example apps (apps/ssr.ts) answer their own paths with their own handlers.
  const ssrApp = ssrAppOf(pathname);
  if (ssrApp && (method === 'GET' || method === 'HEAD')) {
    countRequest(ctx.stats, `GET (${ssrApp})`);
    return serveSsrApp(ssrApp, req, res);
  }
  if ((method === 'GET' || method === 'HEAD') && !pathname.startsWith('/api/') && !pathname.startsWith('/auth/')) {
    countRequest(ctx.stats, 'GET (static)');
    return serveStatic(req, res, pathname);
  }
  countRequest(ctx.stats, '(unmatched)');
  throw new HttpError(404, 'not_found', 'No such route');
}

function handleFailure(error: unknown, res: ServerResponse, ctx: ServerContext): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) return sendError(res, error);
  if (error instanceof StoreUnavailableError) {
    ctx.log(`store unavailable: ${error.message}`);
    return sendError(res, new HttpError(503, 'store_unavailable', 'The session store is unavailable; retry later'));
  }
  // Log the details for the operator; the client only learns that something failed.
  ctx.log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  sendError(res, new HttpError(500, 'internal_error', 'Internal server error'));
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** The origins a browser may show for this server: loopback answers to both names. */
function ownOrigins(scheme: 'http' | 'https', host: string, port: number): string[] {
  if (host === '::1') return [`${scheme}://[::1]:${port}`, `${scheme}://localhost:${port}`];
  if (host === '127.0.0.1' || host === 'localhost' || host === '0.0.0.0' || host === '::') {
    return [`${scheme}://127.0.0.1:${port}`, `${scheme}://localhost:${port}`];
  }
  return [`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`];
}

/** Plain HTTP, or HTTPS with TLS terminated here (then the session cookies get `Secure`). */
function createHttpServer(tls: TlsPem | undefined): Server {
  if (tls === undefined) return createServer();
  try {
    return createTlsServer({ cert: tls.cert, key: tls.key });
  } catch (error) {
    // E.g. "key values mismatch": a start-up error for the operator, like any other bad option.
    throw new ConfigError(`the TLS certificate and key cannot be used together: ${(error as Error).message}`);
  }
}

export async function start(options: StartOptions = {}): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  const server = createHttpServer(resolved.tls);
  const store = options.store ?? createMemoryStore();
  const scheme = resolved.tls ? 'https' : 'http';
  const address = await listen(server, resolved.port, resolved.host);
  const origins = ownOrigins(scheme, resolved.host, address.port);
  const [url = ''] = origins;

  // One secret for the tokens and the DPoP nonces: instances that share it accept each other's.
  const secret = resolved.jwtSecret ?? randomSecret();
  const log = options.log ?? (() => undefined);
  const ctx: ServerContext = {
    options: resolved,
    store,
    stats: createStats(),
    tokens: createTokenKit(secret, resolved.accessTtl),
    origins: createOriginPolicy(resolved.allowedOrigins ?? origins),
    dpop: createDpopVerifier({ mode: resolved.dpop, secret, store }),
    log,
    hashingSlots: createHashingSlots(),
    loginLog: createLoginLog(log),
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    route(req, res, ctx).catch((error: unknown) => handleFailure(error, res, ctx));
  });

  return {
    url,
    stats: ctx.stats,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // A store passed in belongs to the caller (it may be shared with other instances).
      if (!options.store) await store.close();
    },
  };
}
