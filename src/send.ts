/**
 * The one way the core puts a request on the wire: the `Authorization` header for the token's type,
 * the headers of the proof-of-possession hook (DPoP) built for this very send, and at most one
 * resend when the hook asks for it (a new server nonce, RFC 9449 §8-9): that resend is neither a
 * refresh nor the one replay after a 401. It is also the one place where server time is observed:
 * every answer's `Date`.
 */
import type { Clock } from './clock.js';
import type { Token } from './token.js';
import type { ProofTarget, RequestProof } from './types.js';

export interface Attempt {
  method: string;
  /** The absolute URL the request goes to. */
  url: string;
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
  send: (headers: Record<string, string>) => Promise<Response>,
  canResend = true,
): Promise<Sent> {
  const target: ProofTarget = { method: attempt.method, url: attempt.url, accessToken: attempt.token?.accessToken };
  const once = async (): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (attempt.token) headers.authorization = `${attempt.token.tokenType ?? 'Bearer'} ${attempt.token.accessToken}`;
    if (proof) Object.assign(headers, await proof.headers(target));
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
