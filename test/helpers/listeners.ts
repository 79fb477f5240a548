/**
 * Observers over real objects, for tests that a framework leaves nothing behind: the live
 * subscriptions of an instance, and the BroadcastChannels a page opened and did not close.
 */
import type { AuthFetch } from '../../src/index.js';

/** Wraps the instance's `subscribe` and `on` (before any framework reads them) to count what is still subscribed. */
export function countListeners(authFetch: AuthFetch): { active: () => number; made: () => number } {
  let active = 0;
  let made = 0;
  const counted =
    <T>(add: (fn: (value: T) => void) => () => void) =>
    (fn: (value: T) => void) => {
      const off = add(fn);
      active++;
      made++;
      let done = false;
      return () => {
        if (!done) active--;
        done = true;
        off();
      };
    };
  authFetch.subscribe = counted(authFetch.subscribe);
  authFetch.on = counted(authFetch.on);
  return { active: () => active, made: () => made };
}

/** A BroadcastChannel that counts the channels open in this realm; install it with vi.stubGlobal. */
export function countingBroadcastChannel(): { Channel: typeof BroadcastChannel; open: () => number; opened: () => number } {
  let open = 0;
  let opened = 0;
  class Channel extends BroadcastChannel {
    #closed = false;
    constructor(name: string) {
      super(name);
      open++;
      opened++;
    }
    override close(): void {
      if (!this.#closed) open--;
      this.#closed = true;
      super.close();
    }
  }
  return { Channel, open: () => open, opened: () => opened };
}
