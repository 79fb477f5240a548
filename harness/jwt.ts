/** Unsigned test JWTs: the client never verifies signatures, it only reads `exp`/`iat`. */
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let counter = 0;
export function makeJwt(claims: { exp?: number; iat?: number; sub?: string; [k: string]: unknown }): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ jti: String(++counter), ...claims })}.c2ln`;
}

/** A JWT issued at `nowMs` that lives `ttlSeconds`. */
export const jwtFor = (nowMs: number, ttlSeconds: number, extra: Record<string, unknown> = {}) =>
  makeJwt({ iat: Math.floor(nowMs / 1000), exp: Math.floor(nowMs / 1000) + ttlSeconds, ...extra });

export function readExp(token: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp?: number };
    return claims.exp;
  } catch {
    return undefined;
  }
}
