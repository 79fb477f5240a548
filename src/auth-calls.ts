/** The calls that start and end a session on the server: login and logout. */
import type { Clock } from './clock.js';
import { LoginError, LogoutError } from './errors.js';
import type { Config } from './options.js';
import { errorCode } from './refresh-call.js';
import { postSessionCall } from './send.js';
import { parseTokenAnswer, type Token } from './token.js';

export interface Tokens {
  /** The access token, as the server issued it (a JWT or an opaque RFC 6750 b64token). */
  accessToken: string;
  /** Seconds until the access token expires; used when the token is not a JWT with `exp`. */
  expiresIn?: number;
  /** `'DPoP'` for a token bound to the `dpop` option's key (RFC 9449). @default 'Bearer' */
  tokenType?: 'Bearer' | 'DPoP';
}

/** POSTs a login (a string body goes as JSON), and returns the parsed body and its token. */
export async function callLogin(config: Config, clock: Clock, url: string | URL, init: RequestInit = {}): Promise<{ body: unknown; token: Token }> {
  const target = String(url);
  const headers = new Headers(init.headers);
  if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const sentAt = clock.now();
  let response: Response;
  try {
    // Bounded like a refresh unless the caller brings its own signal: fetch has no timeout of its own.
    response = await postSessionCall(config, clock, url, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(config.refreshTimeoutMs) });
  } catch (cause) {
    throw new LoginError(__DEV__ ? `Login could not reach ${target}` : 'login', { cause });
  }
  const { status } = response;
  if (!response.ok) {
    const code = await errorCode(response);
    // Short enough for every build: apps show it to the user.
    const refused = `Login refused: ${status}${code ? ` (${code})` : ''}`;
    throw new LoginError(__DEV__ ? `${refused} from ${target}` : refused, { status, code });
  }
  const body: unknown = await response.json().catch(() => undefined);
  try {
    return { body, token: parseTokenAnswer(body, clock, sentAt) };
  } catch (error) {
    // Not the server's token in the message: only what was wrong with it.
    throw new LoginError(__DEV__ ? `Login answer unusable: ${(error as Error).message}` : 'login answer', { status });
  }
}

/**
 * POSTs the logout URL once, bounded like a refresh (browsers give fetch no timeout of their own).
 * `token`, given for a trusted logout URL, lets the server deny that token until it expires.
 */
export async function callLogout(config: Config, clock: Clock, url: string | URL, token: Token | undefined): Promise<void> {
  let response: Response;
  try {
    response = await postSessionCall(config, clock, url, { signal: AbortSignal.timeout(config.refreshTimeoutMs) }, token);
  } catch (cause) {
    throw new LogoutError(__DEV__ ? `Logout could not reach ${String(url)}` : 'logout', { cause });
  }
  if (!response.ok) throw new LogoutError(__DEV__ ? `Logout failed: ${response.status} from ${String(url)}` : 'logout', { status: response.status });
}
