/**
 * `auth-fetch-tabs/ky`: ky options that run a ky instance over `authFetch` and keep ky's own retries from
 * repeating what auth-fetch already did. Only ky's types are imported: this entry never loads ky,
 * so it works with whichever ky 1.x instance the app already has (`ky.create()` or `.extend()`).
 */
import type { BeforeRequestHook, BeforeRetryHook, Options } from 'ky';
import type { AuthFetch } from './types.js';
import type { IdempotencyOptions } from './options.js';

export interface AuthKyOptions extends Options {
  /**
   * Sets the `Idempotency-Key` once per ky call, so that ky's own retries of a POST (when you allow
   * them in `retry.methods`) repeat the same key instead of getting a fresh one from each
   * `authFetch` call. Give it the value you gave `createAuthFetch`, or `false` to leave keys to it.
   * @default { methods: ['POST', 'PATCH'], header: 'Idempotency-Key', key: crypto.randomUUID }
   * @example ky.create(withAuth(authFetch, { retry: { methods: ['get', 'post'] } }))
   */
  idempotency?: IdempotencyOptions | false;
}

/** auth-fetch already refreshed and replayed a 401 once; a ky retry would only refresh again (ky #587). */
const UNAUTHORIZED = 401;

/**
 * Errors a ky retry must not repeat: the 401 auth-fetch already answered, and the end of the session
 * (logout, refresh token refused), which would otherwise be retried without a token and surface as
 * a 401 `HTTPError` instead of `SessionEndedError`. Duck-typed: this entry must not import ky, and
 * the session error may come from another copy of auth-fetch.
 */
const isFinal = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'SessionEndedError' || (error.name === 'HTTPError' && (error as { response?: Response }).response?.status === UNAUTHORIZED));

/** Catches what `shouldRetry` cannot: a later `.extend()` that replaces it. Runs after ky's delay. */
const neverRetryFinal: BeforeRetryHook = ({ error }) => {
  if (isFinal(error)) throw error;
};

function keyOnce({ methods = ['POST', 'PATCH'], header = 'Idempotency-Key', key }: IdempotencyOptions): BeforeRequestHook {
  const upper = methods.map((m) => m.toUpperCase());
  // Without a secure context there is no randomUUID: then auth-fetch's own per-call key applies.
  const next = key ?? (typeof crypto.randomUUID === 'function' ? () => crypto.randomUUID() : undefined);
  return (request) => {
    // ky clones the request before each attempt, headers included, so only the first attempt sets it.
    if (next && upper.includes(request.method.toUpperCase()) && !request.headers.has(header)) request.headers.set(header, next());
  };
}

/**
 * Options for `ky.create()` or `instance.extend()`: `fetch` is `authFetch`, ky never retries a 401
 * or a `SessionEndedError`, and POSTs keep one `Idempotency-Key` across ky's retries. Everything
 * else (`throwHttpErrors`, `timeout`, your hooks and `shouldRetry`) stays as you pass it.
 * @example
 * import ky from 'ky';
 * import { withAuth } from 'auth-fetch-tabs/ky';
 * const api = ky.create(withAuth(authFetch, { prefixUrl: 'https://api.example.com' }));
 */
export function withAuth(authFetch: AuthFetch, options: AuthKyOptions = {}): Options {
  if (typeof authFetch !== 'function') {
    throw new TypeError(`\`authFetch\` must be the function createAuthFetch returned, got ${String(authFetch)}`);
  }
  const { idempotency, retry, hooks, ...rest } = options;
  const result: Options = {
    ...rest,
    fetch: authFetch,
    hooks: {
      ...hooks,
      // Ours first: a user's beforeRequest returning a Request would stop the hooks after it.
      beforeRequest: [...(idempotency === false ? [] : [keyOnce(idempotency ?? {})]), ...(hooks?.beforeRequest ?? [])],
      beforeRetry: [neverRetryFinal, ...(hooks?.beforeRetry ?? [])],
    },
  };
  // ky asks shouldRetry before waiting, so a final error rejects at once; yours decides the rest.
  const base = typeof retry === 'number' ? { limit: retry } : retry;
  const yours = base?.shouldRetry;
  result.retry = { ...base, shouldRetry: (state) => (isFinal(state.error) ? false : yours?.(state)) };
  return result;
}
