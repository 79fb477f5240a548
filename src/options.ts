/** Options of `createAuthFetch`, their defaults, and the one place they are validated. */

export interface RefreshResult {
  accessToken: string;
  /** Rotated refresh token, when the server returns it in the body rather than a cookie. Ignored by auth-fetch. */
  refreshToken?: string;
  /** Seconds until the access token expires; used when the token is not a JWT with `exp`. */
  expiresIn?: number;
}

export interface IdempotencyOptions {
  /** Methods that get a key and may then be replayed. @default ['POST', 'PATCH'] */
  methods?: readonly string[];
  /** @default 'Idempotency-Key' */
  header?: string;
  /** @default crypto.randomUUID */
  key?: () => string;
}

export interface AuthFetchOptions {
  /**
   * The refresh endpoint (POSTed with `credentials`, answering JSON `{ accessToken, expiresIn? }`),
   * or a function returning that shape. A function returns `null` when the refresh token was
   * rejected (the session ends); anything it throws is a transient failure (the session is kept).
   * 400, 401 and 403 answers of the endpoint mean "rejected", like OAuth's `invalid_grant` (RFC 6749 §5.2).
   * @example createAuthFetch({ refresh: '/auth/refresh' })
   */
  refresh: string | URL | (() => Promise<RefreshResult | null>);
  /** Called once (POST, with `credentials`) by `logout()`. @example '/auth/logout' */
  logout?: string | URL;
  /**
   * Origins that receive the `Authorization` header. Nothing else ever sees the token.
   * @default [the page's origin, the refresh URL's origin]
   * @example ['https://api.example.com']
   */
  trustedOrigins?: readonly string[];
  /** Refresh this long before `exp`, capped at half the token's lifetime. @default 60_000 */
  leewayMs?: number;
  /**
   * Whether a response to a request that carried our token means "token expired, refresh and replay".
   * Only ever asked about trusted requests that carried our token. @default (response) => response.status === 401
   */
  shouldRefresh?: (response: Response) => boolean;
  /** `Idempotency-Key` on non-idempotent requests so that a replay never runs twice, or `false`. */
  idempotency?: IdempotencyOptions | false;
  /** Credentials mode of the refresh and logout calls. @default 'include' */
  credentials?: RequestCredentials;
  /** The fetch underneath. @default globalThis.fetch, looked up at each call */
  fetch?: typeof fetch;
  /** Clock in epoch ms, for tests. @default Date.now */
  now?: () => number;
  /** BroadcastChannel name shared by the tabs of one app, or `false` for a tab of its own. @default 'auth-fetch' */
  channel?: string | false;
  /** How long to wait for other tabs to answer before acting alone. @default 100 */
  peerTimeoutMs?: number;
}

export const DEFAULT_LEEWAY_MS = 60_000;
export const DEFAULT_PEER_TIMEOUT_MS = 100;
export const DEFAULT_IDEMPOTENT_METHODS = ['POST', 'PATCH'];
export const DEFAULT_CHANNEL = 'auth-fetch';

export interface Config {
  refresh: string | URL | (() => Promise<RefreshResult | null>);
  logout: string | URL | undefined;
  trustedOrigins: readonly string[] | undefined;
  leewayMs: number;
  shouldRefresh: (response: Response) => boolean;
  idempotency: { methods: readonly string[]; header: string; key: () => string } | false;
  credentials: RequestCredentials;
  fetch: typeof fetch;
  now: () => number;
  channel: string | false;
  peerTimeoutMs: number;
}

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'function' ? 'a function' : String(value);

function fail(name: string, expected: string, got: unknown): never {
  throw new TypeError(`\`${name}\` must be ${expected}, got ${describe(got)}`);
}

const isUrlLike = (value: unknown): value is string | URL =>
  (typeof value === 'string' && value !== '') || value instanceof URL;

function check<T>(name: string, value: unknown, ok: boolean, expected: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!ok) fail(name, expected, value);
  return value as T;
}

const isMs = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;

export function normalizeOptions(options: AuthFetchOptions): Config {
  if (typeof options !== 'object' || options === null) fail('options', 'an object', options);
  const { refresh, logout, trustedOrigins, idempotency, credentials } = options;
  if (!isUrlLike(refresh) && typeof refresh !== 'function') fail('refresh', 'a URL or a function', refresh);
  if (logout !== undefined && !isUrlLike(logout)) fail('logout', 'a URL', logout);
  if (trustedOrigins !== undefined) {
    if (!Array.isArray(trustedOrigins)) fail('trustedOrigins', 'an array of origins', trustedOrigins);
    for (const origin of trustedOrigins) {
      // An origin, not a URL: a path or a trailing slash would silently never match.
      if (typeof origin !== 'string' || !URL.canParse(origin) || new URL(origin).origin !== origin) {
        fail('trustedOrigins', 'origins like "https://api.example.com"', origin);
      }
    }
  }
  if (idempotency !== undefined && idempotency !== false && (typeof idempotency !== 'object' || idempotency === null)) {
    fail('idempotency', 'an object or false', idempotency);
  }
  const idem = idempotency || {};
  const methods = check('idempotency.methods', idem.methods, Array.isArray(idem.methods), 'an array of methods', DEFAULT_IDEMPOTENT_METHODS);
  const channel = options.channel;
  return {
    refresh,
    logout,
    trustedOrigins,
    leewayMs: check('leewayMs', options.leewayMs, isMs(options.leewayMs), 'a number ≥ 0', DEFAULT_LEEWAY_MS),
    shouldRefresh: check('shouldRefresh', options.shouldRefresh, typeof options.shouldRefresh === 'function', 'a function', (r: Response) => r.status === 401),
    idempotency:
      idempotency === false
        ? false
        : {
            methods: methods.map((m) => String(m).toUpperCase()),
            header: check('idempotency.header', idem.header, typeof idem.header === 'string' && idem.header !== '', 'a header name', 'Idempotency-Key'),
            key: check('idempotency.key', idem.key, typeof idem.key === 'function', 'a function', randomKey),
          },
    credentials: check('credentials', credentials, credentials === 'include' || credentials === 'same-origin' || credentials === 'omit', "'include', 'same-origin' or 'omit'", 'include'),
    // Late-bound so that polyfills and test doubles installed after creation are used.
    fetch: check('fetch', options.fetch, typeof options.fetch === 'function', 'a function', (input, init) => globalThis.fetch(input, init)),
    now: check('now', options.now, typeof options.now === 'function', 'a function', Date.now),
    channel: check('channel', channel, channel === false || (typeof channel === 'string' && channel !== ''), 'a name or false', DEFAULT_CHANNEL),
    peerTimeoutMs: check('peerTimeoutMs', options.peerTimeoutMs, isMs(options.peerTimeoutMs), 'a number ≥ 0', DEFAULT_PEER_TIMEOUT_MS),
  };
}

/** A v4 UUID; `crypto.randomUUID` only exists in secure contexts, so plain-http intranets get this. */
function randomKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
