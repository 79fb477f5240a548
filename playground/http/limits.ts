import { HttpError } from './messages.js';
import type { LimitReached, StoreLimits } from '../store/store.js';

/**
 * A request past one of the StoreLimits gets 429 naming the cap; nothing already stored is dropped
 * to make room. 429 rather than 507: the user can act (log out elsewhere, wait for records to
 * expire), and the server is not out of storage.
 */

const EXPLAIN: Record<keyof StoreLimits, { code: string; message: (max: number) => string }> = {
  sessionsPerUser: {
    code: 'session_limit_reached',
    message: (max) => `At most ${max} sessions per user; log out of another one or wait until one expires`,
  },
  postsPerUser: {
    code: 'post_limit_reached',
    message: (max) => `At most ${max} posts per user are kept; older ones expire after 24 h`,
  },
  idempotencyKeysPerUser: {
    code: 'idempotency_key_limit_reached',
    message: (max) => `At most ${max} Idempotency-Keys per user are remembered; they expire after 24 h`,
  },
};

export function limitReachedError(outcome: LimitReached): HttpError {
  const { code, message } = EXPLAIN[outcome.limit];
  return new HttpError(429, code, message(outcome.max));
}
