/**
 * A fetch whose answers the test gives by hand: each call waits until the test answers it, so that a
 * test can act (a login, a logout) at an exact point between a request and its answer.
 */
export interface ManualCall {
  url: string;
  authorization: string | null;
  init: RequestInit | undefined;
  answer(response: Response): void;
}

export function manualFetch() {
  const unclaimed: ManualCall[] = [];
  const waiting: Array<{ path: string; take: (call: ManualCall) => void }> = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
    new Promise<Response>((answer) => {
      const url = input instanceof Request ? input.url : String(input);
      const call = { url, authorization: new Headers(init?.headers).get('authorization'), init, answer };
      const waiter = waiting.find((w) => url.endsWith(w.path));
      if (waiter) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.take(call);
      } else unclaimed.push(call);
    });
  /** The next call to a URL ending in `path` (one already made, or the next one), within `timeoutMs`. */
  function next(path: string, timeoutMs = 2_000): Promise<ManualCall> {
    const made = unclaimed.find((c) => c.url.endsWith(path));
    if (made) return Promise.resolve(unclaimed.splice(unclaimed.indexOf(made), 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        path,
        take: (call: ManualCall) => {
          clearTimeout(timer);
          resolve(call);
        },
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(waiter), 1);
        reject(new Error(`no call to ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.push(waiter);
    });
  }
  /** The calls made and not yet taken by `next`. */
  const unanswered = () => unclaimed.map((c) => c.url);
  return { fetch, next, unanswered };
}

export const json = (body: unknown, status = 200): Response => Response.json(body, { status });
