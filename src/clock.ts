/**
 * The server's clock as seen from ours. Every server time we see (a `Date` header, a token's `iat`)
 * bounds the skew; the bounds of all sightings are intersected, and the estimate is the value inside
 * them closest to 0, so a correct clock is never "corrected".
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
}

export function createClock(now: () => number): Clock {
  // The skew lies in [low, high]: the server time is in [serverMs, serverMs + 1000) and was taken
  // in [sentAt, receivedAt].
  let low = -Infinity;
  let high = Infinity;
  const skew = () => {
    if (low > 0) return low;
    if (high < 0) return high;
    return 0;
  };
  return {
    now,
    skew,
    serverNow: () => now() + skew(),
    observe(serverMs, sentAt, receivedAt) {
      if (!Number.isFinite(serverMs)) return;
      const sightingLow = serverMs - receivedAt;
      const sightingHigh = serverMs + 1000 - sentAt;
      if (sightingLow > high || sightingHigh < low) {
        // Inconsistent with what we knew: a clock was set (NTP, the user). Start over from this one.
        low = sightingLow;
        high = sightingHigh;
        return;
      }
      low = Math.max(low, sightingLow);
      high = Math.min(high, sightingHigh);
    },
  };
}

/** A `Date` header as epoch ms, or NaN. */
export const parseDate = (header: string | null): number => (header ? Date.parse(header) : NaN);
