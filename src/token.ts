/** What auth-fetch knows about an access token. Times are epoch ms on the *local* clock. */
export interface Token {
  readonly accessToken: string;
  /** When the server will consider it expired, corrected for clock skew; undefined when unknown. */
  readonly expiresAt: number | undefined;
  /** Its total lifetime, used to cap the leeway at half of it. */
  readonly lifetime: number | undefined;
  /** The JWT `exp` claim (server seconds): comparable across tabs, to never adopt an older token. */
  readonly exp: number | undefined;
  /** When it was received (local clock, shared by the tabs): orders tokens issued in the same second. */
  readonly obtainedAt: number;
}

interface Claims {
  exp?: unknown;
  iat?: unknown;
}

/**
 * Whether `value` can go in `Authorization: Bearer …`: RFC 6750 §2.1's b64token. Anything else (a
 * newline, non-ASCII) would make every later request throw in `Headers.set`, so it is refused on arrival.
 */
export const isBearerToken = (value: unknown): boolean => typeof value === 'string' && /^[\w.~+/-]+=*$/.test(value);

/** Whether `value` is a usable `expiresIn`: absent, or a finite number of seconds > 0 (0 or less would be stale at once). */
export const isExpiresIn = (value: unknown): boolean => value === undefined || (Number.isFinite(value) && (value as number) > 0);

/** Reads a JWT's payload without verifying it: only the server can judge a token, we just schedule. */
function readClaims(jwt: string): Claims {
  const payload = jwt.split('.')[1];
  if (!payload) return {};
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : {};
  } catch {
    return {};
  }
}

// `Number.isFinite` is false for anything that is not a number (it does not coerce, unlike `isFinite`).
const seconds = (value: unknown): number | undefined => (Number.isFinite(value) ? (value as number) : undefined);

/**
 * How far the server clock is ahead of ours, from a server time with one-second resolution (`Date`
 * header or `iat`) seen between `sentAt` and `receivedAt`. The server time lies in
 * [serverMs, serverMs + 1000) and was taken somewhere in [sentAt, receivedAt], so the skew lies in
 * [serverMs - receivedAt, serverMs + 1000 - sentAt]. When 0 is inside that range a correct clock
 * stays uncorrected; otherwise we move by the smallest amount that the evidence proves.
 */
export function clockSkew(serverMs: number, sentAt: number, receivedAt: number): number {
  const low = serverMs - receivedAt;
  const high = serverMs + 1000 - sentAt;
  return low > 0 ? low : high < 0 ? high : 0;
}

export interface Issued {
  accessToken: string;
  /** Seconds, from the refresh answer or `setTokens`. */
  expiresIn?: number | undefined;
  /** The server's `Date` header, when the answer exposed it. */
  date?: string | null | undefined;
  /** When the request left; `-Infinity` for a token of unknown age (`setTokens`). */
  sentAt: number;
  receivedAt: number;
}

/** Builds a Token, preferring the JWT's own `exp`, then the answer's `expiresIn`. */
export function toToken({ accessToken, expiresIn, date, sentAt, receivedAt }: Issued): Token {
  const { exp: rawExp, iat: rawIat } = readClaims(accessToken);
  const exp = seconds(rawExp);
  const iat = seconds(rawIat);
  const server = (date && Date.parse(date)) || (iat && iat * 1000);
  const skew = server ? clockSkew(server, sentAt, receivedAt) : 0;
  // `expiresIn` counts from when the request left at the latest: the server started no earlier.
  const start = Number.isFinite(sentAt) ? sentAt : receivedAt;
  const expiresAt = exp ? exp * 1000 - skew : expiresIn && start + expiresIn * 1000;
  const lifetime = exp && iat ? (exp - iat) * 1000 : expiresAt && expiresAt - start;
  return { accessToken, expiresAt, lifetime, exp, obtainedAt: receivedAt };
}

/** True when the token should be replaced before use: inside min(leeway, half its lifetime) of expiry. */
export function isStale(token: Token, now: number, leewayMs: number): boolean {
  if (token.expiresAt === undefined) return false;
  const leeway = token.lifetime === undefined ? leewayMs : Math.min(leewayMs, token.lifetime / 2);
  return now >= token.expiresAt - leeway;
}

export const isExpired = (token: Token, now: number): boolean =>
  token.expiresAt !== undefined && now >= token.expiresAt;

/** Whether `a` was issued after `b`: by `exp`, and by arrival when `exp` cannot tell (same second, opaque). */
export function isNewer(a: Token, b: Token | undefined): boolean {
  if (!b) return true;
  if (a.accessToken === b.accessToken) return false;
  if (a.exp !== undefined && b.exp !== undefined && a.exp !== b.exp) return a.exp > b.exp;
  return a.obtainedAt > b.obtainedAt;
}
