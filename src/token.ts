/** What auth-fetch knows about an access token: the one parser of a token answer, and the checks every token passes. */
import type { Clock } from './clock.js';
import { show } from './options.js';

export type TokenType = 'Bearer' | 'DPoP';

export interface Token {
  readonly accessToken: string;
  /** When the server will consider it expired, on the *server's* clock (epoch ms); undefined when unknown. */
  readonly expiresAt: number | undefined;
  /** Its total lifetime, used to cap the leeway at half of it. */
  readonly lifetime: number | undefined;
  /** The JWT `exp` claim (server seconds): comparable across tabs, to never adopt an older token. */
  readonly exp: number | undefined;
  /** When it was received (local clock, shared by the tabs): orders tokens issued in the same second. */
  readonly obtainedAt: number;
  /** How it is presented: `Authorization: Bearer …` (also when undefined), or `DPoP …` with a proof (RFC 9449). */
  readonly tokenType?: TokenType | undefined;
}

/** A JWT's payload, decoded, never verified: only the server can judge a token. */
export type Claims = Readonly<Record<string, unknown>>;

/**
 * Whether `value` can go in `Authorization`: RFC 6750 §2.1's b64token. Anything else (a newline,
 * non-ASCII) would make every later request throw in `Headers.set`, so it is refused on arrival.
 */
const isBearerToken = (value: unknown): value is string => typeof value === 'string' && /^[\w.~+/-]+=*$/.test(value);

/** `Bearer` or `DPoP`, compared case-insensitively (RFC 6749 §5.1); absent means Bearer. */
function readTokenType(value: unknown): TokenType | undefined {
  if (value === undefined) return 'Bearer';
  const lower = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (lower === 'bearer') return 'Bearer';
  if (lower === 'dpop') return 'DPoP';
  return undefined;
}

/** Reads a JWT's payload; `{}` for an opaque token or anything unreadable. */
export function readClaims(jwt: string): Claims {
  const payload = jwt.split('.')[1];
  if (!payload) return {};
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Claims) : {};
  } catch {
    return {};
  }
}

/** A bad token as an error message shows it: never the token itself (error reports end up in logs), only its length. */
const showSecret = (value: unknown) => (typeof value === 'string' ? `a string of ${value.length} characters` : show(value));

// `Number.isFinite` is false for anything that is not a number (it does not coerce, unlike `isFinite`).
const seconds = (value: unknown): number | undefined => (Number.isFinite(value) ? (value as number) : undefined);


/**
 * The one reader of a token answer (`{ accessToken, expiresIn?, tokenType? }`: a refresh answer, a
 * login answer, `setTokens`). Throws a TypeError that never quotes the token (error reports end up
 * in logs). The JWT's own `exp` is preferred to `expiresIn`; its `iat` is a server time the clock
 * learns from (issued no later than it reached us).
 *
 * @param sentAt when the request left (local ms); `-Infinity` for a token of unknown age (`setTokens`).
 */
export function parseTokenAnswer(answer: unknown, clock: Clock, sentAt: number): Token {
  const { accessToken, expiresIn, tokenType } = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
  if (!isBearerToken(accessToken)) throw new TypeError(__DEV__ ? `\`accessToken\` must be a bearer token (RFC 6750 b64token), got ${showSecret(accessToken)}` : 'accessToken');
  // 0 or less would be stale at once.
  if (expiresIn !== undefined && !((expiresIn as number) > 0 && Number.isFinite(expiresIn))) {
    throw new TypeError(__DEV__ ? `\`expiresIn\` must be a finite number of seconds > 0, got ${show(expiresIn)}` : 'expiresIn');
  }
  const type = readTokenType(tokenType);
  if (!type) throw new TypeError(__DEV__ ? `\`tokenType\` must be "Bearer" or "DPoP", got ${show(tokenType)}` : 'tokenType');
  const receivedAt = clock.now();
  const claims = readClaims(accessToken);
  const exp = seconds(claims.exp);
  const iat = seconds(claims.iat);
  if (iat !== undefined) clock.observe(iat * 1000, sentAt, receivedAt);
  // `expiresIn` counts from when the request left at the latest: the server started no earlier.
  const start = (Number.isFinite(sentAt) ? sentAt : receivedAt) + clock.skew();
  const lifetimeMs = expiresIn === undefined ? undefined : (expiresIn as number) * 1000;
  const expiresAt = exp ? exp * 1000 : lifetimeMs && start + lifetimeMs;
  const lifetime = exp && iat ? (exp - iat) * 1000 : lifetimeMs;
  return { accessToken, expiresAt, lifetime, exp, obtainedAt: receivedAt, tokenType: type };
}

const isOptionalNumber = (x: unknown) => x === undefined || Number.isFinite(x);

/** A token from another tab passes the same checks as one from the server (other code may share the channel). */
export function isToken(value: unknown): value is Token {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Token;
  return isBearerToken(t.accessToken) && isOptionalNumber(t.expiresAt) && isOptionalNumber(t.lifetime) &&
    isOptionalNumber(t.exp) && Number.isFinite(t.obtainedAt) && readTokenType(t.tokenType) !== undefined;
}

/** When (server time) the token should be replaced before use: min(leeway, half its lifetime) before expiry; undefined when it never expires. */
export function staleFrom(token: Token, leewayMs: number): number | undefined {
  if (token.expiresAt === undefined) return undefined;
  const leeway = token.lifetime === undefined ? leewayMs : Math.min(leewayMs, token.lifetime / 2);
  return token.expiresAt - leeway;
}

/** True when the token should be replaced before use (see `staleFrom`). */
export function isStale(token: Token, serverNow: number, leewayMs: number): boolean {
  const from = staleFrom(token, leewayMs);
  return from !== undefined && serverNow >= from;
}

export const isExpired = (token: Token, serverNow: number): boolean =>
  token.expiresAt !== undefined && serverNow >= token.expiresAt;

/** Whether `a` was issued after `b`: by `exp`, and by arrival when `exp` cannot tell (same second, opaque). */
export function isNewer(a: Token, b: Token | undefined): boolean {
  if (!b) return true;
  if (a.accessToken === b.accessToken) return false;
  if (a.exp !== undefined && b.exp !== undefined && a.exp !== b.exp) return a.exp > b.exp;
  return a.obtainedAt > b.obtainedAt;
}
