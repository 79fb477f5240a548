import type { IncomingMessage } from 'node:http';
import type { ServerContext } from '../context.js';
import { HttpError } from '../http/messages.js';
import { securityEvent } from '../stats.js';
import { athOf, type ProofCheck } from './dpop.js';
import { clearedSessionCookies, readKeyBindingCookie } from './session-cookies.js';
import type { AccessCheck } from './tokens.js';

/**
 * What the routes ask of DPoP (RFC 9449): which key a login, refresh or logout is bound to, whether
 * an API request's token and proof go together, and the `WWW-Authenticate` challenges. A DPoP
 * session's refresh tokens are stored under the hash of `<token>.<jkt>`: the cookie alone, in
 * another browser without the key, matches no stored token, and a refresh whose proof is not the
 * session's key is refused before the store is asked (nothing rotates, the victim's cookie still works).
 */

/** A token endpoint's refusal of a proof (RFC 9449 §5, §8): 400 with the error code, and our nonce. */
function proofRefusal(ctx: ServerContext, failure: Extract<ProofCheck, { ok: false }>): HttpError {
  return new HttpError(400, failure.error, failure.description, { 'dpop-nonce': ctx.dpop.nonces.current() });
}

/**
 * The key a login (or a logout) proves, or undefined for a bearer session (`off`, or `optional`
 * without a proof). A bad proof is refused, never downgraded to a bearer session.
 */
export async function tokenEndpointKey(req: IncomingMessage, ctx: ServerContext): Promise<string | undefined> {
  const proof = await ctx.dpop.proofOf(req);
  if (!proof) {
    if (ctx.dpop.mode !== 'required') return undefined;
    throw new HttpError(400, 'invalid_dpop_proof', 'A DPoP proof is required', { 'dpop-nonce': ctx.dpop.nonces.current() });
  }
  if (!proof.ok) throw proofRefusal(ctx, proof);
  return proof.jkt;
}

/**
 * The key a refresh must prove: the one the session was bound to at login (its `dpop_jkt` cookie).
 * A refresh that proves another key, or none, is refused here, before the store rotates anything,
 * and logged: the cookie was copied out of the browser that holds the key.
 */
export async function refreshKey(req: IncomingMessage, ctx: ServerContext): Promise<string | undefined> {
  const bound = readKeyBindingCookie(req);
  const proved = await tokenEndpointKey(req, ctx);
  // A bearer session stays one (a cookie without its binding is looked up unbound, and matches nothing bound).
  if (bound === undefined) return undefined;
  if (proved !== bound) {
    securityEvent(ctx.stats, ctx.log, 'dpop_refresh_key_mismatch', {
      expected: bound,
      proved: proved ?? null,
      origin: req.headers.origin ?? null,
      remoteAddress: req.socket.remoteAddress ?? null,
    });
    throw new HttpError(401, 'invalid_dpop_proof', "The refresh is not proved with the session's key", { 'set-cookie': clearedSessionCookies(req) });
  }
  return bound;
}

/** The key a logout proves, if it proves one: without it a DPoP session's refresh token is found by nobody. */
export async function logoutKey(req: IncomingMessage, ctx: ServerContext): Promise<string | undefined> {
  try {
    return await tokenEndpointKey(req, ctx);
  } catch (error) {
    // A stale nonce is worth one more round trip (the client resends); any other bad proof revokes nothing.
    if (error instanceof HttpError && error.code === 'use_dpop_nonce') throw error;
    return undefined;
  }
}

/** What the store knows a refresh token by: a DPoP session's tokens only together with their key. */
export const boundRefreshToken = (raw: string, jkt: string | undefined): string => (jkt === undefined ? raw : `${raw}.${jkt}`);

export type Scheme = 'Bearer' | 'DPoP';

/** An API request's token, checked with its proof: RFC 6750's failures, and RFC 9449 §7's. */
export type PresentedAccess = { scheme: Scheme } & (
  | AccessCheck
  | { ok: false; error: 'invalid_dpop_proof' | 'use_dpop_nonce'; description: string }
);

/** `Authorization: Bearer …` or `DPoP …`; undefined for anything else. */
function credentialsOf(req: IncomingMessage): { scheme: Scheme; token: string } | undefined {
  const match = /^(Bearer|DPoP)(?: +(.*))?$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const scheme: Scheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
  return { scheme, token: match[2]?.trim() ?? '' };
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The access token of an API request (or a logout), verified; undefined without credentials. A
 * token bound to a key (`cnf.jkt`) counts only as `DPoP` with a proof of that key, made for this
 * request and this token (`ath`); an unbound token only as `Bearer`, and not at all when DPoP is required.
 */
export async function verifyAccess(req: IncomingMessage, ctx: ServerContext): Promise<PresentedAccess | undefined> {
  const credentials = credentialsOf(req);
  if (!credentials) return undefined;
  const { scheme, token } = credentials;
  if (!JWT_SHAPE.test(token)) return { scheme, ok: false, error: 'invalid_token' };
  const check = await ctx.tokens.verifyAccessToken(token);
  if (!check.ok) return { scheme, ...check };
  const bound = check.jkt !== undefined;
  // RFC 9449 §7.2: a bound token presented as a bearer token is refused, like a forged one.
  if (scheme === 'Bearer' && (bound || ctx.dpop.mode === 'required')) return { scheme, ok: false, error: 'invalid_token' };
  if (scheme === 'Bearer') return { scheme, ...check };
  if (!bound) return { scheme, ok: false, error: 'invalid_token' };
  const proof = await ctx.dpop.proofOf(req);
  if (!proof) return { scheme, ok: false, error: 'invalid_dpop_proof', description: 'A DPoP proof is required' };
  if (!proof.ok) return { scheme, ...proof };
  if (proof.ath !== athOf(token)) return { scheme, ok: false, error: 'invalid_dpop_proof', description: 'The proof is for another access token (ath)' };
  if (proof.jkt !== check.jkt) return { scheme, ok: false, error: 'invalid_dpop_proof', description: "The proof is not signed by the token's key" };
  return { scheme, ...check };
}

/**
 * The `WWW-Authenticate` value of a 401 (RFC 6750 §3, RFC 9449 §7.1): the challenge of the scheme
 * the request used, DPoP whenever it is required, with the error if there is one.
 */
export function accessChallenge(ctx: ServerContext, scheme: Scheme | undefined, error?: string, description?: string): string {
  const dpop = scheme === 'DPoP' || ctx.dpop.mode === 'required';
  const params = dpop ? ['algs="ES256"'] : ['realm="auth-fetch"'];
  if (error) params.push(`error="${error}"`);
  if (description) params.push(`error_description="${description}"`);
  return `${dpop ? 'DPoP' : 'Bearer'} ${params.join(', ')}`;
}

/** The 401 of an API request whose DPoP proof is refused, with our nonce so that the client can try again. */
export function accessProofRefusal(ctx: ServerContext, failure: { error: string; description: string }): HttpError {
  return new HttpError(401, failure.error, failure.description, {
    'www-authenticate': accessChallenge(ctx, 'DPoP', failure.error, failure.description),
    'dpop-nonce': ctx.dpop.nonces.current(),
  });
}
