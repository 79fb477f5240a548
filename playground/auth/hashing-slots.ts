import { availableParallelism } from 'node:os';
import { HttpError } from '../http/messages.js';

/**
 * A bound on concurrent password hashing (issue 18). scrypt runs on libuv's thread pool (4 threads
 * by default), where JWT verification (WebCrypto HMAC) runs too: a login flood that fills the pool
 * makes every API request wait behind it. At most `slots` hashes run at once; a few more wait
 * briefly in order; past that, or after the wait, the login is answered 503 with `Retry-After`.
 */

export interface HashingSlots {
  /** Runs `work` in a slot, or throws 503 `login_busy` when none frees up in time. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Half the CPUs, at most half of libuv's pool (2 of 4 threads): the other half stays with every
 * other route. On a 2-core machine that is 1 slot, about 25 password checks a second; a second slot
 * added no checks there, only latency (`npx tsx scripts/bench-server.ts flood`).
 */
export const HASHING_LIMITS = {
  slots: Math.min(2, Math.max(1, Math.floor(availableParallelism() / 2))),
  waiting: 8,
  waitMs: 1000,
} as const;

const busy = (): HttpError =>
  new HttpError(503, 'login_busy', 'Too many logins at once; retry in a moment', { 'retry-after': '1' });

export function createHashingSlots(limits: { slots: number; waiting: number; waitMs: number } = HASHING_LIMITS): HashingSlots {
  let running = 0;
  /** Waiters, oldest first; each is resolved by the `release` that hands it the slot. */
  const queue: Array<() => void> = [];

  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running -= 1;
  };

  const acquire = async (): Promise<void> => {
    if (running < limits.slots) {
      running += 1;
      return;
    }
    if (queue.length >= limits.waiting) throw busy();
    let handOver!: () => void;
    const handedOver = new Promise<'slot'>((resolve) => (handOver = () => resolve('slot')));
    queue.push(handOver);
    const timeout = AbortSignal.timeout(limits.waitMs);
    const timedOut = new Promise<'timeout'>((resolve) => timeout.addEventListener('abort', () => resolve('timeout'), { once: true }));
    if ((await Promise.race([handedOver, timedOut])) === 'slot') return;
    // Still queued: leave. (If the slot was handed over in the same tick, pass it on.)
    const index = queue.indexOf(handOver);
    if (index >= 0) queue.splice(index, 1);
    else release();
    throw busy();
  };

  return {
    async run(work) {
      await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
