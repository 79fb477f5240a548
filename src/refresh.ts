/** One call to the refresh endpoint (or function), classified into the three outcomes that matter. */
import { RefreshError } from './errors.js';
import { show, type Config, type RefreshResult } from './options.js';
import { isBearerToken, isExpiresIn, toToken, type Token } from './token.js';

export type RefreshOutcome =
  | { kind: 'ok'; token: Token; source: 'network' | 'tab' }
  /** The refresh token was refused: the session is over. */
  | { kind: 'rejected' }
  /** Network failure, 5xx, unreadable answer: the session is kept, a later call may succeed. */
  | { kind: 'failed'; error: RefreshError };

/** 400 is OAuth's `invalid_grant` (RFC 6749 §5.2); 401/403 are the usual "refresh token refused". */
const REJECTED = [400, 401, 403];

/** Why a refresh answer cannot be used, or undefined when it can. */
function unreadable(value: unknown): string | undefined {
  const { accessToken, expiresIn } = (value ?? {}) as Record<string, unknown>;
  if (typeof accessToken !== 'string') return 'the answer has no `accessToken` string';
  // It goes in `Authorization: Bearer …`, where a bad one makes every request throw. Not shown: a secret.
  if (!isBearerToken(accessToken)) return '`accessToken` is not a valid bearer token';
  if (!isExpiresIn(expiresIn)) return `\`expiresIn\` must be a number of seconds > 0, got ${show(expiresIn)}`;
}

const failed = (message: string, cause?: unknown, status?: number): RefreshOutcome => ({
  kind: 'failed',
  error: new RefreshError(message, { cause, status }),
});

export async function callRefresh(config: Config, url: URL | undefined): Promise<RefreshOutcome> {
  const { refresh, now } = config;
  const sentAt = now();
  let result: unknown;
  let date: string | null = null;
  /** Set once the server answered, for the errors that follow. */
  let status: number | undefined;
  try {
    if (typeof refresh === 'function') {
      result = await refresh();
      if (result === null) return { kind: 'rejected' };
    } else {
      const response = await config.fetch(url ?? refresh, {
        method: 'POST',
        credentials: config.credentials,
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(config.refreshTimeoutMs),
      });
      status = response.status;
      if (REJECTED.includes(status)) return { kind: 'rejected' };
      if (!response.ok) return failed(`Refresh failed: ${status} from ${String(url ?? refresh)}`, undefined, status);
      date = response.headers.get('date');
      result = await response.json();
    }
  } catch (error) {
    return failed(`Refresh failed: ${error instanceof Error ? error.message : String(error)}`, error, status);
  }
  const why = unreadable(result);
  if (why) return failed(`Refresh failed: ${why}`, result, status);
  const { accessToken, expiresIn } = result as RefreshResult;
  return {
    kind: 'ok',
    source: 'network',
    token: toToken({ accessToken, expiresIn, date, sentAt, receivedAt: now() }),
  };
}
