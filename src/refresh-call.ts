/**
 * One call to the refresh endpoint (or function), classified into the three outcomes that matter.
 * Transient failures (network, 5xx, 408, 429) are retried within the same call, with growing,
 * jittered delays, all inside `refreshTimeoutMs`.
 */
import { parseDate, type Clock } from './clock.js';
import { RefreshError } from './errors.js';
import { show, type Config } from './options.js';
import { isBearerToken, isExpiresIn, readTokenType, toToken, type Token } from './token.js';
import { sendWithProof } from './send.js';
import { follow, sleep, within } from './wait.js';

/** Why the server refused: its status and its error code (RFC 6750 `error`, OAuth's `invalid_grant`…). */
export interface Refusal {
  status: number | undefined;
  code: string | undefined;
}

export type RefreshOutcome =
  | { kind: 'ok'; token: Token; source: 'network' | 'tab' }
  /** The refresh token was refused: the session is over. */
  | ({ kind: 'rejected' } & Refusal)
  /** Network failure, 5xx, timeout, unreadable answer: the session is kept, a later call may succeed. */
  | { kind: 'failed'; error: RefreshError };

type Attempt = RefreshOutcome | { kind: 'transient'; error: RefreshError };

/** 400 is OAuth's `invalid_grant` (RFC 6749 §5.2); 401/403 are the usual "refresh token refused". */
const REFUSED = [400, 401, 403];
const isTransient = (status: number) => status >= 500 || status === 408 || status === 429;
const MAX_RETRIES = 3;

/** The n-th retry's delay: 1/32, 2/32, 4/32 of the timeout (0.5 s, 1 s, 2 s of 15 s), ±50 %. */
const backoff = (n: number, timeoutMs: number) => (timeoutMs / 32) * 2 ** n * (0.5 + Math.random());

/** Why a refresh answer cannot be used, or undefined when it can. Never quotes the answer: it holds secrets. */
function unreadable(value: unknown): string | undefined {
  const { accessToken, expiresIn, tokenType } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof accessToken !== 'string') return 'the answer has no `accessToken` string';
  // It goes in `Authorization: Bearer …`, where a bad one makes every request throw.
  if (!isBearerToken(accessToken)) return '`accessToken` is not a valid bearer token';
  if (!isExpiresIn(expiresIn)) return `\`expiresIn\` must be a number of seconds > 0, got ${show(expiresIn)}`;
  if (!readTokenType(tokenType)) return `\`tokenType\` must be "Bearer" or "DPoP", got ${show(tokenType)}`;
}

/** The server's error code: `WWW-Authenticate: Bearer error="…"` (RFC 6750 §3) or a JSON body's `error`. */
export async function errorCode(response: Response): Promise<string | undefined> {
  const header = /error="([^"]{1,100})"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
  if (header) return header;
  const body: unknown = await response.json().catch(() => undefined);
  const code = (body as { error?: unknown } | undefined)?.error;
  return typeof code === 'string' ? code.slice(0, 100) : undefined;
}

async function attempt(config: Config, url: URL | undefined, clock: Clock, signal: AbortSignal): Promise<Attempt> {
  const { refresh } = config;
  const target = String(url ?? (typeof refresh === 'function' ? 'the refresh function' : refresh));
  const sentAt = clock.now();
  let result: unknown;
  let status: number | undefined;
  try {
    if (typeof refresh === 'function') {
      result = await within(refresh(), signal);
      if (result === null) return { kind: 'rejected', status: undefined, code: undefined };
    } else {
      const post = (headers: Record<string, string>) =>
        config.fetch(url ?? refresh, { method: 'POST', credentials: config.credentials, headers: { accept: 'application/json', ...headers }, signal });
      const { response } = await sendWithProof(config.dpop, { method: 'POST', url: target, token: undefined }, post);
      status = response.status;
      if (REFUSED.includes(status)) return { kind: 'rejected', status, code: await errorCode(response) };
      if (!response.ok) {
        const error = new RefreshError(`Refresh failed: ${status} from ${target}`, { status, code: await errorCode(response) });
        return { kind: isTransient(status) ? 'transient' : 'failed', error };
      }
      clock.observe(parseDate(response.headers.get('date')), sentAt, clock.now());
      result = await response.json();
    }
  } catch (cause) {
    if (signal.aborted) {
      return { kind: 'failed', error: new RefreshError(`Refresh failed: no answer from ${target} within ${config.refreshTimeoutMs} ms`, { cause: signal.reason, status }) };
    }
    // An answer that came but is not JSON: the parse error quotes the body, and the body holds the token.
    if (status !== undefined) return { kind: 'failed', error: new RefreshError(`Refresh failed: the answer from ${target} is not JSON`, { status }) };
    const error = new RefreshError(`Refresh failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, status });
    // An answer that came but could not be read is no network hiccup; a function's failure is its own to retry.
    return { kind: status === undefined && typeof refresh !== 'function' ? 'transient' : 'failed', error };
  }
  const why = unreadable(result);
  if (why) return { kind: 'failed', error: new RefreshError(`Refresh failed: ${why}`, { status }) };
  const { accessToken, expiresIn, tokenType } = result as { accessToken: string; expiresIn?: number; tokenType?: unknown };
  return { kind: 'ok', source: 'network', token: toToken({ accessToken, expiresIn, tokenType: readTokenType(tokenType), sentAt, receivedAt: clock.now() }, clock) };
}

/** One refresh call, retries included, within `refreshTimeoutMs`; `closing` cuts it short (`dispose()`). */
export async function callRefresh(config: Config, url: URL | undefined, clock: Clock, closing: AbortSignal): Promise<RefreshOutcome> {
  const { refreshTimeoutMs } = config;
  // One timeout for the whole call, retries included: a hung endpoint holds the refresh lock of every tab.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException('refresh timed out', 'TimeoutError')), refreshTimeoutMs);
  const unfollow = follow(deadline, closing);
  const end = Date.now() + refreshTimeoutMs;
  try {
    for (let retry = 0; ; retry++) {
      const outcome = await attempt(config, url, clock, deadline.signal);
      if (outcome.kind !== 'transient') return outcome;
      const delay = backoff(retry, refreshTimeoutMs);
      if (retry === MAX_RETRIES || Date.now() + delay >= end) return { kind: 'failed', error: outcome.error };
      await sleep(delay, deadline.signal).catch(() => {});
    }
  } finally {
    clearTimeout(timer);
    unfollow();
  }
}
