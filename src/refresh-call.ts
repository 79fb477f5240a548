/**
 * One call to the refresh endpoint (or function), classified into the three outcomes that matter.
 * Transient failures (network, 5xx, 408, 429) are retried within the same call, with growing,
 * jittered delays, all inside `refreshTimeoutMs`.
 */
import type { Clock } from './clock.js';
import { RefreshError } from './errors.js';
import type { Config } from './options.js';
import { postSessionCall } from './send.js';
import { parseTokenAnswer, type Token } from './token.js';
import { sleep, until } from './wait.js';

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

/** The server's error code: `WWW-Authenticate: Bearer error="…"` (RFC 6750 §3) or a JSON body's `error`. */
export async function errorCode(response: Response): Promise<string | undefined> {
  const header = /error="([^"]{1,100})"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
  if (header) return header;
  const body: unknown = await response.json().catch(() => undefined);
  const code = (body as { error?: unknown } | undefined)?.error;
  return typeof code === 'string' ? code.slice(0, 100) : undefined;
}

/** Asks the endpoint (or the function) once; what it answered, as an outcome. */
async function ask(config: Config, url: URL | undefined, clock: Clock, signal: AbortSignal): Promise<{ answer: unknown; status?: number } | Attempt> {
  const { refresh } = config;
  if (typeof refresh === 'function') {
    const answer = await until(refresh(), signal);
    return answer === null ? { kind: 'rejected', status: undefined, code: undefined } : { answer };
  }
  const response = await postSessionCall(config, clock, url ?? refresh, { signal });
  const { status } = response;
  if (REFUSED.includes(status)) return { kind: 'rejected', status, code: await errorCode(response) };
  if (!response.ok) {
    const error = new RefreshError(__DEV__ ? `Refresh failed: ${status} from ${String(url ?? refresh)}` : `refresh ${status}`, { status, code: await errorCode(response) });
    return { kind: isTransient(status) ? 'transient' : 'failed', error };
  }
  // An answer that is not JSON: the parse error would quote the body, and the body holds the token.
  const answer: unknown = await response.json().catch(() => {
    throw new RefreshError(__DEV__ ? 'Refresh failed: the answer is not JSON' : 'refresh', { status });
  });
  return { answer, status };
}

/** What an error message names as the refresh: the URL, or the app's function. */
const refreshTarget = (config: Config, url: URL | undefined) => (typeof config.refresh === 'function' ? 'the refresh function' : String(url ?? config.refresh));

async function attempt(config: Config, url: URL | undefined, clock: Clock, signal: AbortSignal): Promise<Attempt> {
  const sentAt = clock.now();
  let asked;
  try {
    asked = await ask(config, url, clock, signal);
  } catch (cause) {
    if (cause instanceof RefreshError) return { kind: 'failed', error: cause };
    if (signal.aborted) {
      const message = __DEV__ ? `Refresh failed: no answer from ${refreshTarget(config, url)} within ${config.refreshTimeoutMs} ms` : 'refresh timeout';
      return { kind: 'failed', error: new RefreshError(message, { cause: signal.reason }) };
    }
    const error = new RefreshError(__DEV__ ? `Refresh failed: ${cause instanceof Error ? cause.message : String(cause)}` : 'refresh', { cause });
    // A network failure is a hiccup worth retrying; a refresh function's failure is its own to retry.
    return { kind: typeof config.refresh === 'function' ? 'failed' : 'transient', error };
  }
  if ('kind' in asked) return asked;
  try {
    return { kind: 'ok', source: 'network', token: parseTokenAnswer(asked.answer, clock, sentAt) };
  } catch (problem) {
    return { kind: 'failed', error: new RefreshError(__DEV__ ? `Refresh failed: ${(problem as Error).message}` : 'refresh answer', { status: asked.status }) };
  }
}

/** One refresh call, retries included, within `refreshTimeoutMs`; `closing` cuts it short (`dispose()`). */
export async function callRefresh(config: Config, url: URL | undefined, clock: Clock, closing: AbortSignal): Promise<RefreshOutcome> {
  const { refreshTimeoutMs } = config;
  // One timeout for the whole call, retries included: a hung endpoint holds the refresh lock of every tab.
  const signal = AbortSignal.any([AbortSignal.timeout(refreshTimeoutMs), closing]);
  const end = Date.now() + refreshTimeoutMs;
  for (let retry = 0; ; retry++) {
    const outcome = await attempt(config, url, clock, signal);
    if (outcome.kind !== 'transient') return outcome;
    const delay = backoff(retry, refreshTimeoutMs);
    if (retry === MAX_RETRIES || Date.now() + delay >= end) return { kind: 'failed', error: outcome.error };
    await sleep(delay, signal).catch(() => {});
  }
}
