/**
 * The one way the core puts a request on the wire with (or without) a token: the `Authorization`
 * header for the token's type, the headers of a proof-of-possession hook (DPoP) built for this very
 * send, and at most one resend when the hook asks for it (a new server nonce, RFC 9449 §8-9): that
 * resend is neither a refresh nor the one replay after a 401.
 */
import type { Token } from './token.js';
import type { ProofTarget, RequestProof } from './types.js';

export interface Attempt {
  method: string;
  /** The absolute URL the request goes to. */
  url: string;
  /** The access token to present, with its type; undefined for calls without one (login, refresh). */
  token: Token | undefined;
}

export interface Sent {
  response: Response;
  /** The hook still asks for a resend (a second nonce, or no resend possible): the answer is final, never a reason to refresh. */
  challenged: boolean;
}

/**
 * Sends `attempt` with `send(headers)`, where `headers` are the ones this send must carry;
 * `send` must build a fresh request each time (a body read once cannot be sent twice). With
 * `canResend` false, an answer the hook would resend is returned as is.
 */
export async function sendWithProof(
  proof: RequestProof | undefined,
  attempt: Attempt,
  send: (headers: Record<string, string>) => Promise<Response>,
  canResend = true,
): Promise<Sent> {
  const target: ProofTarget = { method: attempt.method, url: attempt.url, accessToken: attempt.token?.accessToken };
  const headersFor = async (): Promise<Record<string, string>> => {
    const headers: Record<string, string> = {};
    if (attempt.token) headers.authorization = `${attempt.token.tokenType ?? 'Bearer'} ${attempt.token.accessToken}`;
    if (proof) Object.assign(headers, await proof.headers(target));
    return headers;
  };
  const response = await send(await headersFor());
  if (!proof) return { response, challenged: false };
  const challenged = await proof.answered(response, target);
  if (!challenged || !canResend) return { response, challenged };
  void response.body?.cancel().catch(() => {});
  const again = await send(await headersFor());
  // The resend's answer is seen (its nonce kept) but never resent again: one resend, never a loop.
  return { response: again, challenged: await proof.answered(again, target) };
}
