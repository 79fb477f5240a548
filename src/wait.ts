/** Waiting: for a while, or for a promise until a signal ends the wait. */

/** Waits `ms`; with a signal, rejects with its reason as soon as it aborts and leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

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
