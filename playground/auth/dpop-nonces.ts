import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Stateless DPoP nonces (RFC 9449 §8, §9): `<step>.<HMAC of the step>`, where the step is the
 * current time step. Every instance sharing the JWT secret makes and accepts the same nonces, with
 * no store; the previous step is still accepted, so a nonce handed out just before a step ends
 * keeps working for one more step.
 */

/** How long one nonce is current; it is accepted for up to twice as long. */
export const NONCE_STEP_MS = 5 * 60_000;

export interface Nonces {
  /** The nonce of the current step, for every DPoP answer's `DPoP-Nonce`. */
  current(): string;
  /** Whether `nonce` is the current step's or the previous one's. */
  isValid(nonce: unknown): boolean;
}

export function createNonces(secret: string, now: () => number = Date.now, stepMs = NONCE_STEP_MS): Nonces {
  // A key of its own, derived from the shared secret, so that the JWT key is never used for two purposes.
  const key = Buffer.from(hkdfSync('sha256', secret, 'auth-fetch', 'dpop-nonce', 32));
  const mac = (step: number): Buffer => createHmac('sha256', key).update(String(step)).digest();
  const nonceOf = (step: number): string => `${step}.${mac(step).toString('base64url')}`;
  const stepNow = (): number => Math.floor(now() / stepMs);

  return {
    current: () => nonceOf(stepNow()),
    isValid(nonce) {
      if (typeof nonce !== 'string') return false;
      const match = /^(\d{1,15})\.([\w-]{43})$/.exec(nonce);
      if (!match) return false;
      const step = Number(match[1]);
      const current = stepNow();
      if (step !== current && step !== current - 1) return false;
      return timingSafeEqual(Buffer.from(match[2]!, 'base64url'), mac(step));
    },
  };
}
