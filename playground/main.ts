import { appLines } from './apps/builds.js';
import { ssrAppLines } from './apps/ssr.js';
import { ConfigError, DEFAULTS, optionsFromEnv, type StartOptions } from './config.js';
import { start } from './server.js';
import type { Store } from './store/store.js';

/**
 * `npm run playground`: reads the configuration from the environment (HOST, PORT, ACCESS_TTL,
 * REFRESH_TTL, FAMILY_TTL, REUSE_GRACE, ALLOWED_ORIGINS, JWT_SECRET, REFRESH_FAULT_RATE,
 * POST_DELAY_MS, REDIS_URL, TLS_CERT, TLS_KEY, DPOP), starts the server, prints its URL and stops cleanly on SIGINT/SIGTERM.
 */

async function openStore(redisUrl: string | undefined): Promise<Store | undefined> {
  if (redisUrl === undefined) return undefined;
  // Loaded only when asked for, so the in-memory playground never loads the Redis client.
  const { connectRedisStore } = await import('./store/redis-store.js');
  return connectRedisStore(redisUrl, { log: (line) => console.log(line) });
}

/** What a first login depends on: which pages may use the session, and how long a token lives. */
function settingsLines(options: StartOptions): string[] {
  const origins = options.allowedOrigins
    ? `${options.allowedOrigins.join(', ')} (ALLOWED_ORIGINS)`
    : "this server's own (a Vite dev server's page needs e.g. ALLOWED_ORIGINS=http://localhost:5173)";
  return [`  allowed origins: ${origins}`, `  access tokens live ${options.accessTtl ?? DEFAULTS.accessTtl} s (ACCESS_TTL)`];
}

async function main(): Promise<void> {
  const { redisUrl, ...options } = optionsFromEnv(process.env);
  if (redisUrl !== undefined && options.jwtSecret === undefined) {
    console.warn('warning: REDIS_URL is set without JWT_SECRET; instances sharing this Redis need the same JWT_SECRET');
  }
  const store = await openStore(redisUrl);
  const server = await start({ ...options, ...(store ? { store } : {}), log: (line) => console.log(line) });
  console.log(`auth-fetch playground: ${server.url}  (store: ${redisUrl ? 'redis' : 'memory'})`);
  for (const line of [...settingsLines(options), ...appLines(server.url), ...ssrAppLines(server.url)]) console.log(line);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    server
      .close()
      .then(() => store?.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Configuration, connection and listen problems are expected: one clear line, no stack trace. */
function explain(error: unknown): string | undefined {
  if (error instanceof ConfigError || (error instanceof Error && error.name === 'StoreConnectError')) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return `cannot listen on HOST/PORT (${(error as Error).message})`;
  }
  return undefined;
}

main().catch((error: unknown) => {
  const line = explain(error);
  console.error(line ? `auth-fetch playground: ${line}` : error);
  process.exit(1);
});
