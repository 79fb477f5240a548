import { readFileSync } from 'node:fs';
import type { Store } from './store/store.js';
import type { DpopMode } from './auth/dpop.js';

/**
 * Options of the reference server: the `start()` options, their defaults, and the one function
 * that validates them. `main.ts` reads the same options from the environment with
 * `optionsFromEnv`, so a bad value is a clear start-up error naming the variable.
 */

export interface StartOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. Not Vite's 5173/4173, so an app's dev server and this one can run side by side. @default 5180 */
  port?: number;
  /** Access-token lifetime in seconds. @default 30 */
  accessTtl?: number;
  /** Refresh-token lifetime in seconds, sliding per rotation. @default 604800 (7 days) */
  refreshTtl?: number;
  /** Absolute lifetime of a refresh-token family in seconds (caps the sliding expiry). @default 2592000 (30 days) */
  familyTtl?: number;
  /** Seconds after a rotation in which the old token gets the same successor; 0 disables. @default 10 */
  reuseGrace?: number;
  /** Origins allowed to call with credentials (CORS) and to refresh/log out. @default the server's own origin */
  allowedOrigins?: string[];
  /** HS256 key for access tokens; instances sharing a store must share it. @default random per start */
  jwtSecret?: string;
  /** Fraction (0..1) of `/auth/refresh` calls that fail on purpose. @default 0 */
  refreshFaultRate?: number;
  /** Artificial processing time of `POST /api/posts`, so "in flight" is observable. @default 0 */
  postDelayMs?: number;
  /**
   * Serve HTTPS with this PEM certificate chain and private key (TLS terminated in Node), so the
   * refresh cookie becomes `__Host-refresh_token; Path=/; Secure`, which no sibling subdomain can
   * set (docs/server-security.md). @default plain HTTP
   */
  tls?: TlsPem;
  /**
   * DPoP (RFC 9449): `off` ignores proofs; `optional` binds the session of a login that comes with a
   * proof to its key; `required` refuses logins, refreshes and API calls without one. @default 'optional'
   */
  dpop?: DpopMode;
  /** @default an in-memory store */
  store?: Store;
  /** @default silent */
  log?: (line: string) => void;
}

export interface TlsPem {
  cert: string | Buffer;
  key: string | Buffer;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 5180,
  accessTtl: 30,
  refreshTtl: 7 * 24 * 3600,
  familyTtl: 30 * 24 * 3600,
  reuseGrace: 10,
  refreshFaultRate: 0,
  postDelayMs: 0,
  dpop: 'optional',
} as const;

/** Idempotency keys are remembered this long (the IETF Idempotency-Key draft leaves it to us). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Request bodies above this size are refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;

export type ResolvedOptions = Required<Omit<StartOptions, 'allowedOrigins' | 'jwtSecret' | 'tls' | 'store' | 'log'>> &
  Pick<StartOptions, 'allowedOrigins' | 'jwtSecret' | 'tls'>;

export class ConfigError extends Error {
  override name = 'ConfigError' as const;
}

function check(ok: boolean, name: string, rule: string, got: unknown): void {
  if (!ok) throw new ConfigError(`\`${name}\` must be ${rule}, got ${JSON.stringify(got)}`);
}

const isInt = (value: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  Number.isInteger(value) && value >= min && value <= max;

/** Fills in defaults and validates once; throws `ConfigError` naming the option. */
export function resolveOptions(options: StartOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    host: options.host ?? DEFAULTS.host,
    port: options.port ?? DEFAULTS.port,
    accessTtl: options.accessTtl ?? DEFAULTS.accessTtl,
    refreshTtl: options.refreshTtl ?? DEFAULTS.refreshTtl,
    familyTtl: options.familyTtl ?? Math.max(DEFAULTS.familyTtl, options.refreshTtl ?? 0),
    reuseGrace: options.reuseGrace ?? DEFAULTS.reuseGrace,
    refreshFaultRate: options.refreshFaultRate ?? DEFAULTS.refreshFaultRate,
    postDelayMs: options.postDelayMs ?? DEFAULTS.postDelayMs,
    dpop: options.dpop ?? DEFAULTS.dpop,
  };
  if (options.allowedOrigins !== undefined) resolved.allowedOrigins = options.allowedOrigins;
  if (options.jwtSecret !== undefined) resolved.jwtSecret = options.jwtSecret;
  if (options.tls !== undefined) resolved.tls = options.tls;

  check(resolved.host.length > 0, 'host', 'a host name or address', resolved.host);
  check(isInt(resolved.port, 0, 65535), 'port', 'an integer 0..65535', resolved.port);
  check(isInt(resolved.accessTtl, 1), 'accessTtl', 'a whole number of seconds ≥ 1', resolved.accessTtl);
  check(isInt(resolved.refreshTtl, 1), 'refreshTtl', 'a whole number of seconds ≥ 1', resolved.refreshTtl);
  check(isInt(resolved.familyTtl, resolved.refreshTtl), 'familyTtl', `whole seconds ≥ refreshTtl`, resolved.familyTtl);
  check(isInt(resolved.reuseGrace, 0), 'reuseGrace', 'a whole number of seconds ≥ 0', resolved.reuseGrace);
  const rate = resolved.refreshFaultRate;
  check(Number.isFinite(rate) && rate >= 0 && rate <= 1, 'refreshFaultRate', 'a number 0..1', rate);
  check(isInt(resolved.postDelayMs, 0), 'postDelayMs', 'a whole number of ms ≥ 0', resolved.postDelayMs);
  check(['off', 'optional', 'required'].includes(resolved.dpop), 'dpop', "'off', 'optional' or 'required'", resolved.dpop);
  for (const origin of resolved.allowedOrigins ?? []) {
    // An origin is scheme://host[:port] exactly as browsers send it: no path, no trailing slash.
    check(parseOrigin(origin) === origin, 'allowedOrigins', 'origins like https://app.example', origin);
  }
  if (resolved.jwtSecret !== undefined) {
    check(resolved.jwtSecret.length >= 32, 'jwtSecret', 'at least 32 characters (RFC 7518 §3.2)', '<hidden>');
  }
  if (resolved.tls !== undefined) {
    const { cert, key } = resolved.tls;
    check(isPem(cert, 'CERTIFICATE'), 'tls.cert', 'a PEM certificate (-----BEGIN CERTIFICATE-----)', describePem(cert));
    check(isPem(key, 'PRIVATE KEY'), 'tls.key', 'a PEM private key (-----BEGIN … PRIVATE KEY-----)', describePem(key));
  }
  return resolved;
}

/** `label` is `CERTIFICATE` or the end of `… PRIVATE KEY` (PKCS#8, RSA and EC keys all match). */
const isPem = (value: unknown, label: string): boolean =>
  (typeof value === 'string' || Buffer.isBuffer(value)) && new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(value.toString());

/** What a bad PEM value was, without quoting a private key into an error message. */
const describePem = (value: unknown): string =>
  typeof value === 'string' || Buffer.isBuffer(value) ? `${value.length} bytes without a PEM block` : typeof value;

function parseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Environment variable → option, for `main.ts`. */
const NUMERIC_ENV = {
  PORT: 'port',
  ACCESS_TTL: 'accessTtl',
  REFRESH_TTL: 'refreshTtl',
  FAMILY_TTL: 'familyTtl',
  REUSE_GRACE: 'reuseGrace',
  REFRESH_FAULT_RATE: 'refreshFaultRate',
  POST_DELAY_MS: 'postDelayMs',
} as const;

/** Reads the options from the environment; names the variable in any error. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): StartOptions & { redisUrl?: string } {
  const options: StartOptions & { redisUrl?: string } = {};
  for (const [name, key] of Object.entries(NUMERIC_ENV)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`${name} must be a number, got ${JSON.stringify(raw)}`);
    options[key] = value;
  }
  if (env.HOST) options.host = env.HOST;
  if (env.JWT_SECRET) options.jwtSecret = env.JWT_SECRET;
  if (env.ALLOWED_ORIGINS) options.allowedOrigins = env.ALLOWED_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.REDIS_URL) options.redisUrl = env.REDIS_URL;
  if (env.DPOP) options.dpop = env.DPOP as DpopMode;
  if (env.TLS_CERT || env.TLS_KEY) options.tls = tlsFromFiles(env.TLS_CERT, env.TLS_KEY);
  try {
    resolveOptions(options);
  } catch (error) {
    // Re-name the option as the variable the user actually set.
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(message.replace(/`([\w.]+)`/, (_, key: string) => envNameOf(key)));
  }
  return options;
}

/** TLS_CERT and TLS_KEY name PEM files; both or neither. */
function tlsFromFiles(certPath: string | undefined, keyPath: string | undefined): TlsPem {
  if (!certPath) throw new ConfigError('TLS_KEY is set without TLS_CERT; HTTPS needs both');
  if (!keyPath) throw new ConfigError('TLS_CERT is set without TLS_KEY; HTTPS needs both');
  return { cert: readPemFile('TLS_CERT', certPath), key: readPemFile('TLS_KEY', keyPath) };
}

function readPemFile(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${name} cannot be read: ${(error as Error).message}`);
  }
}

function envNameOf(key: string): string {
  if (key === 'host') return 'HOST';
  if (key === 'tls.cert') return 'TLS_CERT';
  if (key === 'tls.key') return 'TLS_KEY';
  if (key === 'jwtSecret') return 'JWT_SECRET';
  if (key === 'allowedOrigins') return 'ALLOWED_ORIGINS';
  if (key === 'dpop') return 'DPOP';
  return Object.entries(NUMERIC_ENV).find(([, option]) => option === key)?.[0] ?? key;
}
