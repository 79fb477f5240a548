/**
 * Waiting, written once: "until this settles, or one of these signals aborts". A budget is an
 * `AbortSignal.timeout`, `dispose()` is the instance's closing signal, a caller's abort is its own
 * signal; `AbortSignal.any` joins them.
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

/**
 * A signal that follows `source` until `detach()`: a fetch's response outlives the request's wait,
 * and the end of the session must not cut off a body the caller is still reading.
 */
export function detachable(source: AbortSignal): { signal: AbortSignal; detach(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort(source.reason);
  if (source.aborted) abort();
  else source.addEventListener('abort', abort, { once: true });
  return { signal: controller.signal, detach: () => source.removeEventListener('abort', abort) };
}
