/**
 * The server's clock as seen from ours. Every server time we see (an answer's `Date`, a token's
 * `iat`) bounds the skew; the bounds of all sightings are intersected, and the estimate is the
 * value inside them closest to 0, so a correct clock is never "corrected".
 */
export interface Clock {
  /** Local time, epoch ms. */
  now(): number;
  /** Server time now, by the current estimate. */
  serverNow(): number;
  /** How far the server clock is ahead of ours (ms, negative when behind). */
  skew(): number;
  /**
   * A server time with one-second resolution, taken somewhere between `sentAt` and `receivedAt`
   * (local ms; `sentAt` is `-Infinity` when unknown, e.g. a token's `iat` given to `setTokens`).
   */
  observe(serverMs: number, sentAt: number, receivedAt: number): void;
  /** An answer's `Date` header: parsed only when it differs from the last one seen (most answers of a second share it). */
  observeDate(header: string | null, sentAt: number, receivedAt: number): void;
}

/** `onMove` is told when the estimate changes (the state's `expiresAt`, on this device's clock, follows it). */
export function createClock(now: () => number, onMove: () => void): Clock {
  // The skew lies in [low, high]: the server time is in [serverMs, serverMs + 1000) and was taken
  // in [sentAt, receivedAt].
  let low = -Infinity;
  let high = Infinity;
  let lastHeader: string | null = null;
  let lastMs = NaN;
  const skew = () => {
    if (low > 0) return low;
    if (high < 0) return high;
    return 0;
  };
  function observe(serverMs: number, sentAt: number, receivedAt: number): void {
    if (!Number.isFinite(serverMs)) return;
    const before = skew();
    const sightingLow = serverMs - receivedAt;
    const sightingHigh = serverMs + 1000 - sentAt;
    if (sightingLow > high || sightingHigh < low) {
      // Inconsistent with what we knew: a clock was set (NTP, the user). Start over from this one.
      low = sightingLow;
      high = sightingHigh;
    } else {
      low = Math.max(low, sightingLow);
      high = Math.min(high, sightingHigh);
    }
    if (skew() !== before) onMove();
  }
  return {
    now,
    skew,
    serverNow: () => now() + skew(),
    observe,
    observeDate(header, sentAt, receivedAt) {
      if (!header) return;
      if (header !== lastHeader) {
        lastHeader = header;
        lastMs = Date.parse(header);
      }
      observe(lastMs, sentAt, receivedAt);
    },
  };
}
