/**
 * A fetch over the fake API whose refresh calls get answers the test scripts in turn (then the fake
 * API's own), and that records every call: for the refresh retry, cooldown and refusal tests.
 */
import type { fakeApi } from './fake-api.js';

/** One refresh answer; it gets the call's signal (a hung endpoint rejects only when that aborts). */
export type Answer = (signal: AbortSignal | undefined) => Response | Promise<Response>;

export const status = (code: number, body: unknown = { error: 'x' }, headers: HeadersInit = {}): Answer => () =>
  Response.json(body, { status: code, headers });

/** An endpoint that never answers: the call ends only when its signal aborts. */
export const hang: Answer = (signal) =>
  new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));

const urlOf = (input: RequestInfo | URL) => (input instanceof Request ? input.url : String(input));

export function scriptedRefresh(api: ReturnType<typeof fakeApi>) {
  const answers: Answer[] = [];
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({ url: urlOf(input), init });
    const answer = urlOf(input).endsWith('/auth/refresh') ? answers.shift() : undefined;
    return answer ? answer(init?.signal ?? undefined) : api.fetch(input, init);
  };
  return {
    fetch,
    /** The next refresh calls get these answers, in order. */
    answer: (...next: Answer[]) => void answers.push(...next),
    calls,
    refreshCalls: () => calls.filter((c) => c.url.endsWith('/auth/refresh')).length,
  };
}
