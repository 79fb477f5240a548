/** The calls that start and end a session on the server (login, logout), and the tokens a login returns, checked on arrival. */
import type { Clock } from './clock.js';
import { LoginError, LogoutError } from './errors.js';
import { show, type Config } from './options.js';
import { errorCode } from './refresh-call.js';
import { isBearerToken, isExpiresIn, toToken, type Token } from './token.js';

export interface Tokens {
  accessToken: string;
  /** Seconds until the access token expires; used when the token is not a JWT with `exp`. */
  expiresIn?: number;
}

/** What `setTokens` was given, as a Token; a TypeError that never quotes the token (error reports end up in logs). */
export function checkedTokens(tokens: Tokens, clock: Clock, sentAt = -Infinity): Token {
  const { accessToken, expiresIn }: { accessToken?: unknown; expiresIn?: unknown } = tokens ?? {};
  if (!isBearerToken(accessToken)) {
    const got = typeof accessToken === 'string' ? `a string of ${accessToken.length} characters` : show(accessToken);
    throw new TypeError(`\`accessToken\` must be a bearer token (RFC 6750 b64token), got ${got}`);
  }
  if (!isExpiresIn(expiresIn)) {
    throw new TypeError(`\`expiresIn\` must be a finite number of seconds > 0, got ${show(expiresIn)}`);
  }
  return toToken({ accessToken, expiresIn, sentAt, receivedAt: clock.now() }, clock);
}

/**
 * POSTs a login with the configured `credentials` (without them a cross-origin login gets no refresh
 * cookie, and the session dies at the first refresh), and returns the parsed body and its token.
 */
export async function callLogin(config: Config, clock: Clock, url: string | URL, init: RequestInit = {}): Promise<{ body: unknown; token: Token }> {
  const target = String(url);
  const headers = new Headers(init.headers);
  if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const sentAt = clock.now();
  let response: Response;
  try {
    response = await config.fetch(url, {
      credentials: config.credentials,
      ...init,
      method: init.method ?? 'POST',
      headers,
      // Bounded like a refresh unless the caller brings its own signal: fetch has no timeout of its own.
      signal: init.signal ?? AbortSignal.timeout(config.refreshTimeoutMs),
    });
  } catch (cause) {
    throw new LoginError(`Login could not reach ${target}`, { cause });
  }
  const { status } = response;
  if (!response.ok) {
    const code = await errorCode(response);
    throw new LoginError(`Login refused: ${status}${code ? ` (${code})` : ''} from ${target}`, { status, code });
  }
  const body: unknown = await response.json().catch(() => undefined);
  try {
    return { body, token: checkedTokens(body as Tokens, clock, sentAt) };
  } catch (error) {
    // Not the server's token in the message: only what was wrong with it.
    throw new LoginError(`Login answer unusable: ${(error as Error).message}`, { status });
  }
}

/**
 * POSTs the logout URL once, bounded like a refresh (browsers give fetch no timeout of their own).
 * `accessToken`, given for a trusted logout URL, lets the server deny that token until it expires.
 */
export async function callLogout(config: Config, url: string | URL, accessToken: string | undefined): Promise<void> {
  const headers: Record<string, string> = accessToken ? { authorization: `Bearer ${accessToken}` } : {};
  let response: Response;
  try {
    response = await config.fetch(url, { method: 'POST', credentials: config.credentials, headers, signal: AbortSignal.timeout(config.refreshTimeoutMs) });
  } catch (cause) {
    throw new LogoutError(`Logout could not reach ${String(url)}`, { cause });
  }
  if (!response.ok) throw new LogoutError(`Logout failed: ${response.status} from ${String(url)}`, { status: response.status });
}
