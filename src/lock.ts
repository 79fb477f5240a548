/**
 * One refresh at a time across the tabs of one app, and who else is there.
 *
 * - Web Locks (`navigator.locks`, secure contexts): an exclusive lock per app for refreshing, and a
 *   presence lock per instance held for its whole life, so a tab can count its live peers with
 *   `navigator.locks.query()` instead of waiting for answers that cannot come. The browser releases
 *   a closed or crashed tab's locks.
 * - Without Web Locks (plain-http pages, old browsers): a claim protocol on the channel. Best effort:
 *   a tab frozen for longer than the claim window can still refresh alongside another, and the
 *   server's reuse grace window covers that.
 * - Without a channel: a tab on its own.
 */
import { randomId, type Channel } from './channel.js';
import { sleep } from './wait.js';

/** What a task learns when its turn comes. */
export interface Turn {
  /**
   * It waited behind another tab's turn: that tab is about to announce its outcome (a token, an
   * outage, the end of the session), and under load the message can lag behind the lock.
   */
  queued: boolean;
}

export interface Lock {
  /** Runs `task` while no other tab of the app runs one; rejects with the signal's reason if it aborts before the turn comes. */
  run<T>(task: (turn: Turn) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** How many other instances are alive, or undefined where that cannot be known (no Web Locks). */
  peers(): Promise<number | undefined>;
  close(): void;
}

interface LockManager {
  request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, task: (lock: unknown) => Promise<T>): Promise<T>;
  query?(): Promise<{ held?: Array<{ name?: string }> }>;
}

const alone: Lock = {
  run: (task, signal) => (signal.aborted ? Promise.reject(signal.reason) : task({ queued: false })),
  peers: () => Promise.resolve(0),
  close() {},
};

export function createLock(channel: Channel | undefined, name: string, claimLifetimeMs: number, peerTimeoutMs: number): Lock {
  if (!channel) return alone;
  const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
  return locks ? webLocks(locks, name) : claims(channel, claimLifetimeMs, peerTimeoutMs);
}

function webLocks(locks: LockManager, name: string): Lock {
  const tabPrefix = `${name}:tab:`;
  const presence = tabPrefix + randomId();
  let leave = () => {};
  const held = new Promise<void>((resolve) => {
    leave = resolve;
  });
  // Held until close(); a page that cannot take locks (sandboxed, opaque origin) just has no presence.
  locks.request(presence, {}, () => held).catch(() => {});
  return {
    run(task, signal) {
      const refreshLock = `${name}:refresh`;
      // First without queueing, to learn whether another tab holds it right now.
      const queue = () => locks.request(refreshLock, { signal }, () => task({ queued: true }));
      return locks.request(refreshLock, { ifAvailable: true }, (taken) => (taken ? task({ queued: false }) : queue()));
    },
    async peers() {
      if (!locks.query) return undefined;
      try {
        const { held: all = [] } = await locks.query();
        const others = all.map((lock) => lock.name).filter((n) => n?.startsWith(tabPrefix) && n !== presence);
        return new Set(others).size;
      } catch {
        return undefined;
      }
    },
    close: () => leave(),
  };
}

/**
 * Lock-less: announce a claim; the oldest claim (then the smallest id) goes first, the others wait
 * for its release. A busy tab may deliver its claim late, so before acting the first in line asks
 * every known peer: a peer's answer comes after its claim. Claims expire: a tab that vanished
 * without a goodbye holds nobody up for longer than `claimLifetimeMs`.
 */
function claims(channel: Channel, claimLifetimeMs: number, peerTimeoutMs: number): Lock {
  const open = new Map<string, number>();
  const released = new Set<() => void>();
  const off = channel.listen((m) => {
    if (m.t === 'claim') open.set(m.from, m.at);
    if (m.t !== 'release' && m.t !== 'bye') return;
    open.delete(m.from);
    for (const fn of [...released]) fn();
  });

  /** Claims ahead of ours that are still alive, and when the first of them expires. */
  function ahead(at: number): number | undefined {
    let expiry: number | undefined;
    for (const [peer, claimedAt] of open) {
      const first = claimedAt < at || (claimedAt === at && peer < channel.self);
      const expires = claimedAt + claimLifetimeMs;
      if (first && expires > Date.now()) expiry = Math.min(expiry ?? Infinity, expires);
    }
    return expiry;
  }

  /** Resolves when no live claim is ahead of ours: on a release or goodbye, or when the claim expires. */
  function turn(at: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = () => {
        clearTimeout(timer);
        released.delete(check);
        signal.removeEventListener('abort', abort);
      };
      const abort = () => {
        stop();
        reject(signal.reason);
      };
      function check() {
        clearTimeout(timer);
        const expiry = ahead(at);
        if (expiry === undefined) {
          stop();
          resolve();
        } else timer = setTimeout(check, expiry - Date.now());
      }
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      released.add(check);
      check();
    });
  }

  return {
    async run(task, signal) {
      const at = Date.now();
      channel.post({ t: 'claim', at });
      try {
        // Give rivals' claims of the same moment time to arrive.
        await sleep(peerTimeoutMs / 2, signal);
        const queued = ahead(at) !== undefined;
        for (;;) {
          await turn(at, signal);
          await channel.ask(channel.knownPeers(), () => false, peerTimeoutMs);
          if (ahead(at) === undefined) break;
        }
        signal.throwIfAborted();
        return await task({ queued });
      } finally {
        channel.post({ t: 'release' });
      }
    },
    peers: () => Promise.resolve(undefined),
    close: off,
  };
}
