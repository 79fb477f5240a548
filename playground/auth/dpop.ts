import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify, type JWTPayload } from 'jose';
import { isHttps } from '../http/messages.js';
import type { Store } from '../store/store.js';
import { createNonces, type Nonces } from './dpop-nonces.js';

/**
 * DPoP proof verification (RFC 9449 §4.3), with `jose`: the `DPoP` header of a request is one
 * JWT of type `dpop+jwt`, signed with ES256 by the public key in its own header; its `htm` and `htu`
 * are this request's, its `iat` is recent, its `nonce` is one of ours (nonces are required), its
 * `jti` was never seen before, and its `ath` is the hash of the access token it comes with.
 */

/** `off`: DPoP headers are ignored. `optional`: a login with a proof starts a DPoP session. `required`: nothing without one. */
export type DpopMode = 'off' | 'optional' | 'required';

/** How far a proof's `iat` may be from our clock, either way (the nonce bounds a proof's lifetime too). */
export const IAT_WINDOW_S = 120;
/** A `jti` longer than this is refused rather than stored. */
const MAX_JTI_LENGTH = 256;

export type ProofCheck =
  | { ok: true; jkt: string; ath: string | undefined }
  | { ok: false; error: 'invalid_dpop_proof' | 'use_dpop_nonce'; description: string };

export interface DpopVerifier {
  mode: DpopMode;
  nonces: Nonces;
  /**
   * The request's proof, checked once per request (its `jti` is spent by the first check); undefined
   * without a `DPoP` header. Its `ath`, if any, is for the caller to compare (`athOf`).
   */
  proofOf(req: IncomingMessage): Promise<ProofCheck | undefined>;
}

/** RFC 9449 §4.2: `ath` is the base64url SHA-256 of the access token's ASCII. */
export const athOf = (accessToken: string): string => createHash('sha256').update(accessToken, 'ascii').digest('base64url');

const invalid = (description: string): ProofCheck => ({ ok: false, error: 'invalid_dpop_proof', description });

/** The request's URI without query and fragment, as the client saw it (`htu`, RFC 9449 §4.3 point 9). */
function requestUri(req: IncomingMessage): string | undefined {
  try {
    const url = new URL(req.url ?? '/', `${isHttps(req) ? 'https' : 'http'}://${req.headers.host ?? ''}`);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

function sameUri(htu: unknown, expected: string | undefined): boolean {
  if (typeof htu !== 'string' || expected === undefined || !URL.canParse(htu)) return false;
  const url = new URL(htu);
  return `${url.origin}${url.pathname}` === expected;
}

/** The signed claims, or why they are not acceptable (nonce and jti aside). */
function checkClaims(req: IncomingMessage, payload: JWTPayload, now: number): string | undefined {
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return 'The proof has no usable jti';
  if (htm !== req.method) return 'The proof was made for another method (htm)';
  if (!sameUri(htu, requestUri(req))) return 'The proof was made for another URI (htu)';
  if (typeof iat !== 'number' || Math.abs(now / 1000 - iat) > IAT_WINDOW_S) return 'The proof is too old or from the future (iat)';
  return undefined;
}

async function verifySignature(proof: string): Promise<{ payload: JWTPayload; jkt: string } | undefined> {
  try {
    // Pinning ES256 refuses `none`, HMAC (a "key" anyone can pick) and any other algorithm.
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
    return { payload, jkt: await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256') };
  } catch {
    return undefined;
  }
}

export interface VerifierOptions {
  mode: DpopMode;
  /** The shared secret the nonces are derived from (the JWT secret: every instance has it). */
  secret: string;
  /** Remembers spent `jti`s (memory or Redis). */
  store: Pick<Store, 'claimProofJti'>;
  now?: () => number;
}

export function createDpopVerifier({ mode, secret, store, now = Date.now }: VerifierOptions): DpopVerifier {
  const nonces = createNonces(secret, now);
  const checked = new WeakMap<IncomingMessage, Promise<ProofCheck>>();

  async function check(req: IncomingMessage, proof: string): Promise<ProofCheck> {
    // Several DPoP headers arrive joined with ", ": that is no JWS, and fails here (RFC 9449 §4.3 point 1).
    const verified = await verifySignature(proof);
    if (!verified) return invalid('The proof is not a dpop+jwt signed by the key in its header');
    const { payload, jkt } = verified;
    const wrong = checkClaims(req, payload, now());
    if (wrong) return invalid(wrong);
    if (!nonces.isValid(payload.nonce)) return { ok: false, error: 'use_dpop_nonce', description: 'Use the DPoP-Nonce of this answer' };
    // Spent last, so that a proof refused for anything else does not use up its jti. Scoped by key.
    const id = createHash('sha256').update(`${jkt} ${payload.jti as string}`).digest('base64url');
    if (!(await store.claimProofJti(id, now() + 2 * IAT_WINDOW_S * 1000))) return invalid('The proof was already used (jti)');
    return { ok: true, jkt, ath: typeof payload.ath === 'string' ? payload.ath : undefined };
  }

  return {
    mode,
    nonces,
    proofOf(req) {
      const header = req.headers.dpop;
      if (mode === 'off' || header === undefined) return Promise.resolve(undefined);
      let result = checked.get(req);
      if (!result) {
        result = check(req, Array.isArray(header) ? header.join(', ') : header);
        checked.set(req, result);
      }
      return result;
    },
  };
}
