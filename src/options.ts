/** Options of `createAuthFetch`, their defaults, and the one place they are validated. */
import type { RequestProof } from './types.js';

export interface RefreshResult {
  accessToken: string;
  /** Rotated refresh token, when the server returns it in the body rather than a cookie. Ignored by auth-fetch. */
  refreshToken?: string;
  /** Seconds until the access token expires; used when the token is not a JWT with `exp`. */
  expiresIn?: number;
  /** `'DPoP'` when the server bound the token to the `dpop` option's key (RFC 9449). @default 'Bearer' */
  tokenType?: 'Bearer' | 'DPoP';
}

export interface IdempotencyOptions {
  /** Methods that get a key and may then be replayed. @default ['POST', 'PATCH'] @example ['POST', 'PATCH', 'DELETE'] */
  methods?: readonly string[];
  /** @default 'Idempotency-Key' @example 'X-Request-Id' */
  header?: string;
  /** @default crypto.randomUUID (or random bytes formatted as a v4 UUID where it is missing) @example () => ulid() */
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
  /** Refresh this long before `exp`, capped at half the token's lifetime. @default 60_000 @example 30_000 */
  leewayMs?: number;
  /**
   * Whether a response to a request that carried our token means "token expired, refresh and replay".
   * Only ever asked about trusted requests that carried our token. @default (response) => response.status === 401
   * @example (response) => response.status === 401 && response.headers.get('www-authenticate')?.includes('invalid_token') === true
   */
  shouldRefresh?: (response: Response) => boolean;
  /**
   * `Idempotency-Key` on non-idempotent requests so that a replay never runs twice, or `false`.
   * @default { methods: ['POST', 'PATCH'], header: 'Idempotency-Key', key: crypto.randomUUID }
   * @example { methods: ['POST'] }
   */
  idempotency?: IdempotencyOptions | false;
  /**
   * Credentials mode of the calls auth-fetch makes itself: `login()`, the refresh and `logout()`
   * (a cross-origin login without them stores no refresh cookie). Your own requests keep their own.
   * @default 'include'
   * @example 'same-origin'
   */
  credentials?: RequestCredentials;
  /** The fetch underneath. @default globalThis.fetch, looked up at each call @example (input, init) => myInstrumentedFetch(input, init) */
  fetch?: typeof fetch;
  /** Clock in epoch ms, for tests. @default Date.now @example () => fakeClock.now() */
  now?: () => number;
  /**
   * BroadcastChannel name shared by the tabs of one app, or `false` for a tab of its own. Tabs only
   * take tokens from instances with the same refresh URL and trusted origins, whatever the name.
   * @default `auth-fetch:<refresh URL>` in a page (where `document` exists), so two apps on one
   * origin stay apart; `false` elsewhere (Node, SSR, workers)
   * @example 'my-app-auth'
   */
  channel?: string | false;
  /** How long to wait for other tabs to answer before acting alone, 0 to 10,000. @default 100 @example 250 */
  peerTimeoutMs?: number;
  /**
   * The most one refresh may take, its retries of transient failures (network, 5xx, 408, 429)
   * included; also bounds `logout()`'s call and a `refresh` function. Past it the refresh is a
   * `RefreshError` (the session is kept): a hung refresh would otherwise hold every request, and
   * the refresh lock of every tab. 1 to 2**31 - 1. @default 15_000
   * @example 5_000
   */
  refreshTimeoutMs?: number;
  /**
   * The name of a readable, non-secret cookie that the server sets beside the refresh cookie and
   * clears when the session ends (the reference server's is `auth_hint`). When it is absent at
   * start-up there is no session to find: `ready` settles `anonymous` at once, without a request.
   * Off unless set.
   * @default undefined
   * @example 'auth_hint'
   */
  sessionHint?: string;
  /**
   * Proof of possession (DPoP, RFC 9449): `createDpop()` from `auth-fetch-tabs/dpop`. Every request sent
   * with the token, and every login, refresh and logout call, then carries a fresh proof signed by a
   * key that never leaves the browser, and the token goes as `Authorization: DPoP …`.
   * @default undefined (bearer tokens)
   * @example createAuthFetch({ refresh: '/auth/refresh', dpop: createDpop() })
   */
  dpop?: RequestProof;
  /**
   * Refresh on a timer as the token enters its leeway window, while some tab of the app is visible
   * (one tab refreshes for all; none while every tab is hidden), so that a page that shows the
   * expiry or the claims never shows a stale state. Off: a token is refreshed before a request that
   * needs it, and when a tab comes back to view.
   * @default false
   * @example createAuthFetch({ refresh: '/auth/refresh', keepFresh: true })
   */
  keepFresh?: boolean;
}

/** The options as the modules use them: every default filled in, `channel` resolved by `createAuthFetch`. */
export type Config = Required<Omit<AuthFetchOptions, 'logout' | 'trustedOrigins' | 'idempotency' | 'channel' | 'sessionHint' | 'dpop' | 'keepFresh'>> &
  Pick<AuthFetchOptions, 'logout' | 'trustedOrigins' | 'channel' | 'sessionHint' | 'dpop' | 'keepFresh'> & {
    idempotency: Required<IdempotencyOptions> | false;
  };

const DEFAULTS = {
  leewayMs: 60_000,
  peerTimeoutMs: 100,
  refreshTimeoutMs: 15_000,
  credentials: 'include',
  shouldRefresh: (response: Response) => response.status === 401,
  // Late-bound so that polyfills and test doubles installed after creation are used.
  fetch: (input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init),
  now: () => Date.now(),
} as const satisfies Partial<Config>;

const IDEMPOTENCY_DEFAULTS = { methods: ['POST', 'PATCH'], header: 'Idempotency-Key', key: randomKey };

/** A check of one option's value. */
type Rule = (value: unknown) => boolean;
/** One entry per option, keyed by the options' own type: a new option without a rule does not compile. */
type Rules<T, V> = { readonly [K in keyof T]-?: V };

const isFunction: Rule = (v) => typeof v === 'function';
const isMs: Rule = (v) => Number.isFinite(v) && (v as number) >= 0;
/** What setTimeout and AbortSignal.timeout take: beyond 2**31 - 1 ms they fire at once or throw. */
export const MAX_DELAY = 2_147_483_647;
const isDelay = (min: number, max = MAX_DELAY): Rule => (v) => typeof v === 'number' && v >= min && v <= max;
const isName = (v: unknown) => typeof v === 'string' && v !== '';
const isUrl = (v: unknown) => isName(v) || v instanceof URL;
// An origin, not a URL: a path or a trailing slash would silently never match.
const isOrigin = (v: unknown) => typeof v === 'string' && URL.canParse(v) && new URL(v).origin === v;
// An RFC 9110 token (a header name, a cookie name): anything else makes `Headers.set` throw.
const isHttpToken = (v: unknown) => typeof v === 'string' && /^[!#$%&'*+.^`|~\w-]+$/.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const RULES: Rules<AuthFetchOptions, Rule> = {
  refresh: (v) => isUrl(v) || typeof v === 'function',
  logout: isUrl,
  trustedOrigins: (v) => Array.isArray(v) && v.every(isOrigin),
  leewayMs: isMs,
  peerTimeoutMs: isDelay(0, 10_000),
  // 0 would abort every refresh at once.
  refreshTimeoutMs: isDelay(1),
  shouldRefresh: isFunction,
  fetch: isFunction,
  now: isFunction,
  credentials: (v) => v === 'include' || v === 'same-origin' || v === 'omit',
  channel: (v) => v === false || isName(v),
  idempotency: (v) => v === false || isObject(v),
  sessionHint: isHttpToken,
  dpop: (v) => isObject(v) && typeof v.headers === 'function' && typeof v.answered === 'function',
  keepFresh: (v) => typeof v === 'boolean',
};

const IDEMPOTENCY_RULES: Rules<IdempotencyOptions, Rule> = {
  methods: (v) => Array.isArray(v) && v.every((m) => typeof m === 'string'),
  header: isHttpToken,
  key: isFunction,
};

/** What the errors of development builds say was expected (production builds name the option only). */
const EXPECTED: Rules<AuthFetchOptions & { [K in keyof IdempotencyOptions as `idempotency.${K}`]: unknown }, string> | undefined = __DEV__
  ? {
      refresh: 'a URL or a function',
      logout: 'a URL',
      trustedOrigins: 'an array of origins like "https://api.example.com"',
      leewayMs: 'a number ≥ 0',
      peerTimeoutMs: 'a number of ms from 0 to 10000',
      refreshTimeoutMs: `a number of ms from 1 to ${MAX_DELAY}`,
      shouldRefresh: 'a function',
      fetch: 'a function',
      now: 'a function',
      credentials: "'include', 'same-origin' or 'omit'",
      channel: 'a channel name or false',
      idempotency: 'an object or false',
      sessionHint: 'a cookie name like "auth_hint"',
      dpop: 'a proof hook such as createDpop()',
      keepFresh: 'true or false',
      'idempotency.methods': 'an array of methods',
      'idempotency.header': 'a header name like "Idempotency-Key"',
      'idempotency.key': 'a function',
    }
  : undefined;

/** A TypeError naming the option; in development builds, also what was expected and what was received. */
function invalid(name: string, value: unknown): TypeError {
  // A ternary, not an early return: a production bundler then drops EXPECTED and `show` too.
  return new TypeError(__DEV__ ? `\`${name}\` must be ${(EXPECTED as Record<string, string>)[name]}, got ${show(value)}` : `invalid option \`${name}\``);
}

/** Throws a TypeError naming the first option that is unknown or breaks its rule (`undefined` means "use the default"). */
function validate(options: object, rules: Record<string, Rule>, prefix = ''): void {
  for (const [name, value] of Object.entries(options)) {
    // A misspelt option would otherwise be ignored without a word (own keys only: not `toString`).
    if (!Object.hasOwn(rules, name)) throw new TypeError(`unknown option \`${prefix + name}\``);
    if (value !== undefined && !rules[name]!(value)) throw invalid(prefix + name, value);
  }
}

/** A bad value as an error message shows it. */
export const show = (value: unknown) =>
  typeof value === 'function' ? 'a function' : typeof value === 'number' ? String(value) : JSON.stringify(value);

/** `undefined` means "the default" at every level, so it must not overwrite a default when spread. */
const withoutUndefined = (options: object) => Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));

export function normalizeOptions(options: AuthFetchOptions): Config {
  if (!isObject(options)) throw new TypeError(__DEV__ ? `options must be an object, got ${show(options)}` : 'options');
  if (options.refresh === undefined) throw invalid('refresh', undefined);
  validate(options, RULES);
  const { idempotency } = options;
  if (idempotency) validate(idempotency, IDEMPOTENCY_RULES, 'idempotency.');
  const idem = idempotency === false ? false : { ...IDEMPOTENCY_DEFAULTS, ...withoutUndefined(idempotency ?? {}) };
  if (idem) idem.methods = idem.methods.map((m) => m.toUpperCase());
  return { ...DEFAULTS, ...withoutUndefined(options), idempotency: idem } as Config;
}

/** A v4 UUID; `crypto.randomUUID` only exists in secure contexts, so plain-http intranets get this. */
function randomKey(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return hex.replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}
