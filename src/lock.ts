/**
 * The refresh lock: one refresh at a time across the tabs of one app, with Web Locks
 * (`navigator.locks`, every evergreen browser in a secure context). Without them tabs refresh on
 * their own: two that refresh at once present the same refresh token, and the server's grace
 * window for racing tabs gives both the same successor.
 */

/** What a task learns when its turn comes. */
export interface Turn {
  /**
   * It waited behind another tab's turn: that tab is about to announce its outcome (a token, an
   * outage, the end of the session), and under load the message can lag behind the lock.
   */
  queued: boolean;
}

export interface RefreshLock {
  /** Runs `task` while no other tab of the app runs one; rejects with the signal's reason if it aborts before the turn comes. */
  run<T>(task: (turn: Turn) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Whether tabs take turns (Web Locks are there): only then can a tab count on a peer's refresh. */
  readonly shared: boolean;
}

export interface LockManager {
  request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, task: (lock: unknown) => Promise<T>): Promise<T>;
  query?(): Promise<{ held?: Array<{ name?: string }> }>;
}

/** The page's Web Locks, looked up when needed (tests and polyfills install them late). */
export const webLocks = (): LockManager | undefined => (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;

/** Without other tabs, or without Web Locks: the task runs at once. */
const ownTurn: RefreshLock = {
  run: (task, signal) => (signal.aborted ? Promise.reject(signal.reason as Error) : task({ queued: false })),
  shared: false,
};

/** The refresh lock of the tabs that share `name`, or none (`undefined`: a tab on its own). */
export function refreshLock(name: string | undefined): RefreshLock {
  const locks = webLocks();
  if (name === undefined || !locks) return ownTurn;
  const lockName = `${name}:refresh`;
  return {
    run(task, signal) {
      // First without queueing, to learn whether another tab holds it right now.
      const queue = () => locks.request(lockName, { signal }, () => task({ queued: true }));
      return locks.request(lockName, { ifAvailable: true }, (taken) => (taken ? task({ queued: false }) : queue()));
    },
    shared: true,
  };
}
