/**
 * The one way the core puts a request on the wire: the `Authorization` header for the token's type,
 * the headers of the proof-of-possession hook (DPoP) built for this very send, and at most one
 * resend when the hook asks for it (a new server nonce, RFC 9449 §8-9): that resend is neither a
 * refresh nor the one replay after a 401. It is also the one place where server time is observed:
 * every answer's `Date`.
 */
import type { Clock } from './clock.js';
import type { Config } from './options.js';
import type { Token } from './token.js';
import type { ProofTarget, RequestProof } from './types.js';

export interface Attempt {
  method: string;
  /** The absolute URL the request goes to. */
  url: string;
  /** The request's own headers (its alone: each send sets `Authorization` and the proof's headers on them). */
  headers: Headers;
  /** The access token to present; undefined for calls without one (login, refresh). */
  token: Token | undefined;
}

export interface Sent {
  response: Response;
  /** The hook still asks for a resend (a second nonce, or none was possible): the answer is final, never a reason to refresh. */
  challenged: boolean;
}

/**
 * Sends `attempt` with `send(headers)`; `send` must build a fresh request each time (a body read
 * once cannot be sent twice). With `canResend` false, an answer the hook would resend is returned
 * as is.
 */
export async function sendWithProof(
  { clock, proof }: { clock: Clock; proof: RequestProof | undefined },
  attempt: Attempt,
  send: (headers: Headers) => Promise<Response>,
  canResend = true,
): Promise<Sent> {
  const { method, url, token, headers } = attempt;
  const target: ProofTarget = { method, url, accessToken: token?.accessToken };
  const once = async (): Promise<Response> => {
    if (token) headers.set('authorization', `${token.tokenType ?? 'Bearer'} ${token.accessToken}`);
    if (proof) for (const [name, value] of Object.entries(await proof.headers(target))) headers.set(name, value);
    const sentAt = clock.now();
    const response = await send(headers);
    clock.observeDate(response.headers.get('date'), sentAt, clock.now());
    return response;
  };
  const response = await once();
  if (!proof) return { response, challenged: false };
  const challenged = await proof.answered(response, target);
  if (!challenged || !canResend) return { response, challenged };
  void response.body?.cancel().catch(() => {});
  const again = await once();
  // The resend's answer is seen (its nonce kept) but never resent again: one resend, never a loop.
  return { response: again, challenged: await proof.answered(again, target) };
}

/**
 * POSTs one of the session's own calls (login, refresh, logout) with the configured `credentials`
 * (without them a cross-origin login gets no refresh cookie, and the session dies at the first
 * refresh), asking for JSON, with the proof hook's headers.
 */
export async function postSessionCall(config: Config, clock: Clock, url: string | URL, init: RequestInit, token?: Token): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const method = (init.method ?? 'POST').toUpperCase();
  // A one-shot body cannot be sent again for a proof's nonce.
  const resendable = init.body == null || typeof init.body === 'string';
  const post = (sent: Headers) => config.fetch(url, { credentials: config.credentials, ...init, method, headers: sent });
  return (await sendWithProof({ clock, proof: config.dpop }, { method, url: String(url), headers, token }, post, resendable)).response;
}
