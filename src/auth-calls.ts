/** The calls that start and end a session on the server (login, logout), and the tokens a login returns, checked on arrival. */
import type { Clock } from './clock.js';
import { LoginError, LogoutError } from './errors.js';
import { show, type Config } from './options.js';
import { errorCode } from './refresh-call.js';
import { sendWithProof } from './send.js';
import { isBearerToken, isExpiresIn, readTokenType, toToken, type Token } from './token.js';

export interface Tokens {
  accessToken: string;
  /** Seconds until the access token expires; used when the token is not a JWT with `exp`. */
  expiresIn?: number;
  /** `'DPoP'` for a token bound to the `dpop` option's key (RFC 9449). @default 'Bearer' */
  tokenType?: 'Bearer' | 'DPoP';
}

/** What `setTokens` was given, as a Token; a TypeError that never quotes the token (error reports end up in logs). */
export function checkedTokens(tokens: Tokens, clock: Clock, sentAt = -Infinity): Token {
  const { accessToken, expiresIn, tokenType }: { accessToken?: unknown; expiresIn?: unknown; tokenType?: unknown } = tokens ?? {};
  if (!isBearerToken(accessToken)) {
    const got = typeof accessToken === 'string' ? `a string of ${accessToken.length} characters` : show(accessToken);
    throw new TypeError(`\`accessToken\` must be a bearer token (RFC 6750 b64token), got ${got}`);
  }
  if (!isExpiresIn(expiresIn)) {
    throw new TypeError(`\`expiresIn\` must be a finite number of seconds > 0, got ${show(expiresIn)}`);
  }
  const type = readTokenType(tokenType);
  if (!type) throw new TypeError(`\`tokenType\` must be "Bearer" or "DPoP", got ${show(tokenType)}`);
  return toToken({ accessToken, expiresIn, tokenType: type, sentAt, receivedAt: clock.now() }, clock);
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
    const method = init.method ?? 'POST';
    // Bounded like a refresh unless the caller brings its own signal: fetch has no timeout of its own.
    const signal = init.signal ?? AbortSignal.timeout(config.refreshTimeoutMs);
    const post = (extra: Record<string, string>) => {
      const sent = new Headers(headers);
      for (const [name, value] of Object.entries(extra)) sent.set(name, value);
      return config.fetch(url, { credentials: config.credentials, ...init, method, headers: sent, signal });
    };
    // A one-shot body cannot be sent again for a proof's nonce.
    const resendable = init.body == null || typeof init.body === 'string';
    ({ response } = await sendWithProof(config.dpop, { method: method.toUpperCase(), url: String(url), token: undefined }, post, resendable));
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
export async function callLogout(config: Config, url: string | URL, token: Token | undefined): Promise<void> {
  const signal = AbortSignal.timeout(config.refreshTimeoutMs);
  const post = (headers: Record<string, string>) => config.fetch(url, { method: 'POST', credentials: config.credentials, headers, signal });
  let response: Response;
  try {
    ({ response } = await sendWithProof(config.dpop, { method: 'POST', url: String(url), token }, post));
  } catch (cause) {
    throw new LogoutError(`Logout could not reach ${String(url)}`, { cause });
  }
  if (!response.ok) throw new LogoutError(`Logout failed: ${response.status} from ${String(url)}`, { status: response.status });
}
