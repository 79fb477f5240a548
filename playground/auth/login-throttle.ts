import type { IncomingMessage } from 'node:http';
import type { ServerContext } from '../context.js';
import { HttpError } from '../http/messages.js';
import type { LoginFailures, ThrottleRule } from '../store/store.js';

/**
 * Login throttling (issue 18): failed logins are counted against the user name and against the
 * client address, in the store, so instances share the counts; past a few, each further failure
 * doubles the delay before the next attempt is even checked (429 with `Retry-After`). A burst that
 * arrives before the first failures are counted is bounded by the hashing slots (hashing-slots.ts).
 *
 * No lock-out: the user delay stops at USER_RULE.maxDelayMs, and while a user name is in its delay,
 * an address without failures may still try (so the real user on her own device gets in, while
 * every address that already failed waits). A success clears the user's count, not the address's
 * (else one valid account would reset an attacker's address). Costs: docs/server-security.md.
 */

/** Per user name (known or not): 5 failures, then 1 s, 2 s, 4 s … at most 15 s between attempts. */
export const USER_RULE: ThrottleRule = { freeAttempts: 5, baseDelayMs: 1000, maxDelayMs: 15_000, forgetAfterMs: 15 * 60_000 };
/** Per client address: more room (one NAT, many people), a longer ceiling: at most 5 min. */
export const ADDRESS_RULE: ThrottleRule = { freeAttempts: 20, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, forgetAfterMs: 15 * 60_000 };

export interface LoginAttempt {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

/**
 * The address to count against: IPv4 as is (also when mapped into IPv6), IPv6 by its /64, the
 * block one subscriber usually gets, so that hopping through it does not buy fresh attempts.
 */
export function clientAddressKey(address: string | undefined): string {
  const value = (address ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!value.includes(':')) return `addr:${value}`;
  const [head = '', tail = ''] = value.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const zeros = Array.from({ length: Math.max(0, 8 - headGroups.length - tailGroups.length) }, () => '0');
  const groups = value.includes('::') ? [...headGroups, ...zeros, ...tailGroups] : headGroups;
  return `addr:${groups.slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function throttled(failures: LoginFailures, scope: 'user' | 'address', ctx: ServerContext): HttpError {
  const seconds = Math.max(1, Math.ceil(failures.retryAfterMs / 1000));
  ctx.loginLog.throttled(scope, seconds);
  return new HttpError(429, 'login_throttled', `Too many failed logins; retry in ${seconds} s`, { 'retry-after': String(seconds) });
}

/** Throws 429 `login_throttled` with `Retry-After` (RFC 9110 §10.2.3) while a delay runs; else the attempt. */
export async function beginLoginAttempt(req: IncomingMessage, username: string, ctx: ServerContext): Promise<LoginAttempt> {
  const { store } = ctx;
  const addressKey = clientAddressKey(req.socket.remoteAddress);
  const userKey = `user:${username}`;
  const now = Date.now();
  const [address, user] = await Promise.all([store.loginFailuresOf(addressKey, now), store.loginFailuresOf(userKey, now)]);
  if (address.retryAfterMs > 0) throw throttled(address, 'address', ctx);
  // A user name in its delay still lets an address without failures try: the real user's way in.
  if (user.retryAfterMs > 0 && address.count > 0) throw throttled(user, 'user', ctx);
  return {
    async failed() {
      const at = Date.now();
      await Promise.all([store.recordLoginFailure(addressKey, ADDRESS_RULE, at), store.recordLoginFailure(userKey, USER_RULE, at)]);
    },
    async succeeded() {
      await store.clearLoginFailures(userKey);
    },
  };
}
