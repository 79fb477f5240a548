/** One call to the refresh endpoint (or function), classified into the three outcomes that matter. */
import { RefreshError } from './errors.js';
import type { Config, RefreshResult } from './options.js';
import { toToken, type Token } from './token.js';

export type RefreshOutcome =
  | { kind: 'ok'; token: Token; source: 'network' | 'tab' }
  /** The refresh token was refused: the session is over. */
  | { kind: 'rejected' }
  /** Network failure, 5xx, unreadable answer: the session is kept, a later call may succeed. */
  | { kind: 'failed'; error: RefreshError };

/** 400 is OAuth's `invalid_grant` (RFC 6749 §5.2); 401/403 are the usual "refresh token refused". */
const REJECTED = [400, 401, 403];

const isResult = (value: unknown): value is RefreshResult =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as RefreshResult).accessToken === 'string' &&
  (value as RefreshResult).accessToken !== '' &&
  ['number', 'undefined'].includes(typeof (value as RefreshResult).expiresIn);

const failed = (message: string, cause?: unknown, status?: number): RefreshOutcome => ({
  kind: 'failed',
  error: new RefreshError(message, { cause, status }),
});

export async function callRefresh(config: Config, url: URL | undefined): Promise<RefreshOutcome> {
  const { refresh, now } = config;
  const sentAt = now();
  let result: unknown;
  let date: string | null = null;
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
      if (REJECTED.includes(response.status)) return { kind: 'rejected' };
      if (!response.ok) return failed(`Refresh failed: ${response.status} from ${String(url ?? refresh)}`, undefined, response.status);
      date = response.headers.get('date');
      result = await response.json();
    }
  } catch (error) {
    return failed(`Refresh failed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  if (!isResult(result)) return failed('Refresh failed: the answer has no `accessToken` string', result);
  return {
    kind: 'ok',
    source: 'network',
    token: toToken({ accessToken: result.accessToken, expiresIn: result.expiresIn, date, sentAt, receivedAt: now() }),
  };
}
