/**
 * Live counters of one server instance, mutated as requests arrive, for tests, the soak script and
 * the playground page. Security events are also written to the log.
 */

export interface SecurityEvent {
  type: string;
  at: number;
  [key: string]: unknown;
}

export interface ServerStats {
  /** Requests per route, keyed like `"POST /auth/refresh"`; other paths count as `"GET (static)"` or `"(unmatched)"`. */
  requests: Record<string, number>;
  refreshRotations: number;
  /** Rotated tokens presented within the grace window and answered with the same successor. */
  refreshGraceReplays: number;
  /** Reuse detections that revoked a family (RFC 9700 §4.14.2). */
  refreshReused: number;
  /** Refresh tokens presented after they were already rotated, grace or not. */
  refreshTokensPresentedTwice: number;
  refreshFaults: number;
  postsCreated: number;
  idempotentReplays: number;
  securityEvents: SecurityEvent[];
}

/** Oldest events are dropped beyond this, so an attacker cannot grow memory without bound. */
const MAX_SECURITY_EVENTS = 1000;

export function createStats(): ServerStats {
  return {
    requests: {},
    refreshRotations: 0,
    refreshGraceReplays: 0,
    refreshReused: 0,
    refreshTokensPresentedTwice: 0,
    refreshFaults: 0,
    postsCreated: 0,
    idempotentReplays: 0,
    securityEvents: [],
  };
}

export function countRequest(stats: ServerStats, key: string): void {
  stats.requests[key] = (stats.requests[key] ?? 0) + 1;
}

export function securityEvent(
  stats: ServerStats,
  log: (line: string) => void,
  type: string,
  details: Record<string, unknown>,
): void {
  const event: SecurityEvent = { ...details, type, at: Date.now() };
  stats.securityEvents.push(event);
  if (stats.securityEvents.length > MAX_SECURITY_EVENTS) stats.securityEvents.shift();
  log(`security: ${JSON.stringify(event)}`);
}
