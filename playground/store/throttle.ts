import type { ThrottleRule } from './store.js';

/**
 * The login backoff both stores apply (the Redis store's Lua script mirrors it): the first
 * `freeAttempts` − 1 attempts cost nothing, the one that reaches `freeAttempts` starts a delay of
 * `baseDelayMs`, and every further counted attempt doubles it, up to `maxDelayMs`.
 */
export function loginDelayMs(count: number, rule: ThrottleRule): number {
  if (count < rule.freeAttempts) return 0;
  return Math.min(rule.baseDelayMs * 2 ** Math.min(count - rule.freeAttempts, 30), rule.maxDelayMs);
}
