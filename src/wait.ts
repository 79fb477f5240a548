/**
 * Waiting, written once: "until this settles, or one of these signals aborts". A budget is an
 * `AbortSignal.timeout`, `dispose()` is the instance's closing signal, a caller's abort is its own
 * signal; `AbortSignal.any` joins them. And `follow`: a request's own signal that follows those
 * sources only while it waits (the one place that is not a wait, and the hot path of every request).
 */

type MaybeSignal = AbortSignal | null | undefined;

/** Settles like `promise`, or rejects with the reason of the first of `signals` to abort; leaves no listener behind. */
export function until<T>(promise: Promise<T>, ...signals: MaybeSignal[]): Promise<T> {
  const signal = AbortSignal.any(signals.filter((s): s is AbortSignal => !!s));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // Followed even when the wait is over at once: its rejection is handled here, never unhandled.
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) onAbort();
  });
}

/** Resolves after `ms`, or rejects as `until` does; its timer is cleared either way, so `dispose()` leaves none. */
export function sleep(ms: number, ...signals: MaybeSignal[]): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return until(elapsed, ...signals).finally(() => clearTimeout(timer));
}

/** Resolves when `signal` aborts (a lock held for an instance's life is released then). */
export const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

/** Per source signal, the controllers that follow it (one listener each source, however many follow). */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * Makes `controller` abort when `source` does, until the returned undo: a request's signal follows
 * the caller's, the session's and `dispose()`'s while it waits, and no longer once its answer is
 * returned (the body the caller is still reading must not be cut off). One listener per source:
 * many requests share one (Node warns past ten listeners), and this is the hot path of every
 * request (`AbortSignal.any` costs several times a whole request here).
 */
export function follow(controller: AbortController, source: AbortSignal | null | undefined): () => void {
  if (source?.aborted) controller.abort(source.reason);
  if (!source || source.aborted) return () => {};
  let set = followers.get(source);
  if (!set) {
    const own = new Set<AbortController>();
    source.addEventListener('abort', () => own.forEach((c) => c.abort(source.reason)), { once: true });
    followers.set(source, (set = own));
  }
  set.add(controller);
  return () => void set.delete(controller);
}
