/**
 * A Web Locks stand-in (exclusive mode only) for Node, which has no `navigator.locks`. It grants the
 * next waiter synchronously on release, before any BroadcastChannel message of the releasing tab
 * can be delivered: the harshest ordering a browser could produce.
 */
export function fakeLockManager() {
  const queues = new Map<string, Array<() => void>>();
  const held = new Set<string>();
  let grants = 0;
  const release = (name: string) => {
    const next = queues.get(name)?.shift();
    if (next) next();
    else held.delete(name);
  };
  return {
    get grants() {
      return grants;
    },
    /** What `navigator.locks.query()` tells: the names of the locks held now (typed like the spec's snapshot, whose members are optional). */
    query: (): Promise<{ held?: Array<{ name?: string; mode: string }> }> => Promise.resolve({ held: [...held].map((name) => ({ name, mode: 'exclusive' })) }),
    request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, task: (lock: unknown) => Promise<T>): Promise<T> {
      if (options.ifAvailable && held.has(name)) return task(null);
      return new Promise<T>((resolve, reject) => {
        const run = () => {
          grants++;
          task({ name }).then(resolve, reject).finally(() => release(name));
        };
        if (options.signal?.aborted) return reject(options.signal.reason);
        if (!held.has(name)) {
          held.add(name);
          return run();
        }
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        queue.push(run);
        options.signal?.addEventListener('abort', () => {
          const i = queue.indexOf(run);
          if (i >= 0) {
            queue.splice(i, 1);
            reject(options.signal?.reason);
          }
        });
      });
    },
  };
}

/** Installs `navigator.locks` for the duration of a test; returns the uninstaller. */
export function installLocks(locks: ReturnType<typeof fakeLockManager>): () => void {
  const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true });
  return () => {
    if (had) Object.defineProperty(globalThis, 'navigator', had);
    else delete (globalThis as { navigator?: unknown }).navigator;
  };
}
