/**
 * Start-up: find the session this browser already has. The refresh coordinator does the work (in
 * its turn it asks the live tabs first, and refreshes only when none holds a fresh token); with a
 * session hint cookie that says there is no session, start-up settles `anonymous` without a request.
 */
import type { Refresher } from './refresh.js';
import type { Session, SessionState } from './session.js';

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

export function createStartup(session: Session, refresher: Refresher, sessionHint: string | undefined) {
  let ready: Promise<SessionState> | undefined;
  let settled = false;

  async function run(): Promise<SessionState> {
    if (!hintSaysNoSession(sessionHint) && !session.isUsable(session.token())) {
      const outcome = await refresher.refresh('startup');
      // Refused: the session ended (and is anonymous). Failed: still unknown, the next request tries again.
      if (outcome.kind === 'rejected') session.noneFound();
    } else {
      session.noneFound();
    }
    settled = true;
    return session.getState();
  }

  return {
    /** Starts start-up the first time; every call returns the same promise. */
    ready(): Promise<SessionState> {
      ready ??= run();
      return ready;
    },
    settled: () => settled,
    /** What a request waits for: start-up, started if need be, until it settles; then nothing. */
    pending: (): Promise<SessionState> | undefined => (settled ? undefined : (ready ??= run())),
  };
}
