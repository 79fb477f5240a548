/** Waiting in tests: a pause, and a condition polled until it holds (bounded, with a message that says what never came). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; the deadline is on `performance.now()`, which tests that fake `Date` leave alone. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(5);
  }
}

/** How long `promise` takes to settle, and how it settled (a rejection is returned, not thrown). */
export async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value: unknown }> {
  const start = Date.now();
  const value = await promise.catch((error: unknown) => error);
  return { ms: Date.now() - start, value };
}
