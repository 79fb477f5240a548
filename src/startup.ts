/**
 * Start-up: find the session this browser already has. A lone tab refreshes at once; beside live
 * peers it takes the first fresh token one of them answers with, else refreshes. With a session
 * hint cookie that says there is no session, it settles `anonymous` without a request.
 */
import type { Channel } from './channel.js';
import type { Lock } from './lock.js';
import type { Observable, SessionState } from './observable.js';
import type { Refresher } from './refresh.js';
import type { Session } from './session.js';

interface Parts {
  session: Session;
  observable: Observable;
  channel: Channel | undefined;
  lock: Lock;
  refresher: Refresher;
  peerTimeoutMs: number;
  sessionHint: string | undefined;
}

/** Whether the hint cookie is absent from a page: then the server holds no session for this browser. */
function hintSaysNoSession(name: string | undefined): boolean {
  if (name === undefined || !globalThis.document) return false;
  let cookies: string;
  try {
    cookies = document.cookie;
  } catch {
    return false; // a sandboxed page may not read cookies: no hint, so look for a session as usual
  }
  return !cookies.split(/;\s*/).some((cookie) => cookie.startsWith(`${name}=`) && cookie.length > name.length + 1);
}

export function createStartup({ session, observable, channel, lock, refresher, peerTimeoutMs, sessionHint }: Parts) {
  let ready: Promise<SessionState> | undefined;
  let done = false;

  async function run(): Promise<SessionState> {
    if (hintSaysNoSession(sessionHint)) {
      if (observable.get().status === 'unknown') observable.set({ status: 'anonymous' });
    } else {
      if (channel) {
        // Without Web Locks the peers cannot be counted: the first answer will do.
        const peers = (await lock.peers()) ?? 1;
        await channel.ask(peers, session.isUsable, peerTimeoutMs);
      }
      if (!session.isUsable(session.token())) await refresher.refresh('startup');
    }
    done = true;
    return observable.get();
  }

  return {
    /** Starts start-up the first time; every call returns the same promise. */
    ready(): Promise<SessionState> {
      ready ??= run();
      return ready;
    },
    /** Whether start-up has settled (requests no longer wait for it). */
    settled: () => done,
  };
}
