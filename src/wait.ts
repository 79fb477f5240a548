/** Waiting: for a while, or for a promise until a signal ends the wait. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function within<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const followers = new WeakMap<AbortSignal, Set<AbortController>>();
const nothing = () => {};

/**
 * Makes `controller` abort when `signal` does; returns the undo. One listener per signal, however
 * many requests share it: Node warns past ten listeners (MaxListenersExceededWarning).
 */
export function follow(controller: AbortController, signal: AbortSignal | null | undefined): () => void {
  if (signal?.aborted) controller.abort(signal.reason);
  if (!signal || signal.aborted) return nothing;
  let set = followers.get(signal);
  if (!set) {
    const own = new Set<AbortController>();
    signal.addEventListener('abort', () => own.forEach((c) => c.abort(signal.reason)), { once: true });
    followers.set(signal, (set = own));
  }
  set.add(controller);
  return () => void set.delete(controller);
}
