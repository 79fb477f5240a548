/**
 * Errors auth-fetch rejects with. `name` is a literal so the type guards below also work for errors
 * that cross realms (iframes, workers), where `instanceof` fails (the same reason as ky's guards).
 */

/** A call auth-fetch makes on the app's behalf failed; `status` and `code` are set when the server answered. */
abstract class CallError extends Error {
  readonly status: number | undefined;
  /** The server's error code (RFC 6750 / OAuth `error`, e.g. `invalid_grant`, `origin_not_allowed`). */
  readonly code: string | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number | undefined; code?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
    this.code = options?.code;
  }
}

/** The refresh could not be completed: network failure, 5xx, timeout, or an unreadable answer. The session is kept. */
export class RefreshError extends CallError {
  override name = 'RefreshError' as const;
}

/** `login()` failed: refused (`status`, `code`), unreachable (`cause`), or answered without a usable token. */
export class LoginError extends CallError {
  override name = 'LoginError' as const;
}

/** `logout()` ended the session here, but the server could not be told: the refresh cookie may still be valid. */
export class LogoutError extends CallError {
  override name = 'LogoutError' as const;
}

export type SessionEndReason = 'logout' | 'rejected' | 'remote' | 'disposed';

/** The session ended (logout here or in another tab, a rejected refresh token) while the request was pending. */
export class SessionEndedError extends Error {
  override name = 'SessionEndedError' as const;
  /**
   * Why: `'logout'` (here), `'remote'` (a logout or a refused refresh token in another tab),
   * `'rejected'` (the refresh token was refused here), `'disposed'` (`dispose()` was called).
   */
  readonly reason: SessionEndReason;
  constructor(reason: SessionEndReason) {
    super(__DEV__ ? `Session ended (${reason}); the request was aborted` : reason);
    this.reason = reason;
  }
}

const hasName = (error: unknown, name: string): boolean =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;

export const isRefreshError = (error: unknown): error is RefreshError => hasName(error, 'RefreshError');
export const isLoginError = (error: unknown): error is LoginError => hasName(error, 'LoginError');
export const isLogoutError = (error: unknown): error is LogoutError => hasName(error, 'LogoutError');
export const isSessionEndedError = (error: unknown): error is SessionEndedError =>
  hasName(error, 'SessionEndedError');
