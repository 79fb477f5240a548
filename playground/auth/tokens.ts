import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';

/**
 * Token material: short-lived access JWTs (HS256 via `jose`) and opaque refresh tokens.
 *
 * Refresh tokens are 256 random bits; the server stores only their SHA-256, so a leaked store
 * does not yield usable tokens. A plain (unsalted) hash is enough for 256-bit random values.
 * The one exception is the grace window (RFC 9700 §4.14.2 rotation with reuse detection): to
 * answer a racing tab with the *same* successor we need its raw value, so it is kept sealed with
 * AES-256-GCM under a key derived from the JWT secret, and the store drops it when the window ends.
 */

export interface TokenKit {
  /** With `jkt`, a DPoP token (RFC 9449 §6): bound to that key by `cnf.jkt`, `token_type: "DPoP"`. */
  issueAccessToken(userId: string, jkt?: string): Promise<{ accessToken: string; expiresIn: number }>;
  verifyAccessToken(token: string): Promise<AccessCheck>;
  seal(raw: string): string;
  /** Returns undefined for anything not sealed by the same secret. */
  open(sealed: string): string | undefined;
}

export type AccessCheck =
  | { ok: true; userId: string; jti: string; expiresAt: number; issuedAt: number; /** The key a DPoP token is bound to. */ jkt?: string }
  | { ok: false; error: 'token_expired' | 'invalid_token' };

/** A fresh opaque refresh token and the hash under which the store knows it. */
export function newRefreshToken(): { raw: string; hash: string } {
  const raw = randomBytes(32).toString('base64url');
  return { raw, hash: hashRefreshToken(raw) };
}

export function hashRefreshToken(raw: string): string {
  return createHash('sha256').update(raw).digest('base64url');
}

export function createTokenKit(secret: string, accessTtl: number): TokenKit {
  const jwtKey = new TextEncoder().encode(secret);
  // A separate key for sealing, so the JWT key is never used for two purposes.
  const sealKey = Buffer.from(hkdfSync('sha256', secret, 'auth-fetch', 'refresh-successor-seal', 32));

  return {
    async issueAccessToken(userId, jkt) {
      const accessToken = await new SignJWT(jkt === undefined ? {} : { cnf: { jkt }, token_type: 'DPoP' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(`${accessTtl}s`)
        .setJti(randomUUID())
        .sign(jwtKey);
      return { accessToken, expiresIn: accessTtl };
    },

    async verifyAccessToken(token) {
      try {
        // Pinning the algorithm list refuses `alg: none` and any algorithm confusion.
        const { payload } = await jwtVerify(token, jwtKey, {
          algorithms: ['HS256'],
          requiredClaims: ['sub', 'iat', 'exp', 'jti'],
        });
        const { sub, jti, exp, iat } = payload;
        if (typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || jti === '' || typeof exp !== 'number' || typeof iat !== 'number') {
          return { ok: false, error: 'invalid_token' };
        }
        const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt;
        return { ok: true, userId: sub, jti, expiresAt: exp * 1000, issuedAt: iat * 1000, ...(typeof jkt === 'string' ? { jkt } : {}) };
      } catch (error) {
        return { ok: false, error: error instanceof errors.JWTExpired ? 'token_expired' : 'invalid_token' };
      }
    },

    seal(raw) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      const data = Buffer.concat([cipher.update(raw, 'utf8'), cipher.final()]);
      return [iv, cipher.getAuthTag(), data].map((part) => part.toString('base64url')).join('.');
    },

    open(sealed) {
      const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
      if (!iv || !tag || !data || iv.length !== 12 || tag.length !== 16) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', sealKey, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/** A random secret for a single instance; several instances must be given the same JWT_SECRET. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}
