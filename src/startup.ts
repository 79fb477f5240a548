/**
 * Start-up: find the session this browser already has. The refresh coordinator does the work (it
 * asks the live tabs first, and refreshes only when none holds a fresh token); with a
 * session hint cookie that says there is no session, start-up settles `anonymous` without a request
 * (unless this tab held a session before: see `signedInMark`).
 */
import type { AuthEvent, Emitter } from './events.js';
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

/** Runs `use` on this tab's sessionStorage; undefined where there is none or it may not be used (Node, a sandboxed or storage-less page). */
function withStorage<T>(use: (storage: Storage) => T): T | undefined {
  try {
    return use(sessionStorage);
  } catch {
    return undefined;
  }
}

/**
 * Whether this tab held a session since it was opened, kept in sessionStorage (it survives a reload).
 * A service on another port of the host can delete the hint cookie (cookies ignore ports) but not
 * this origin's storage: a tab that was signed in then tries one refresh before settling anonymous.
 */
export function signedInMark(key: string, events: Emitter<AuthEvent>): SignedInMark {
  const forget = () => withStorage((storage) => storage.removeItem(key));
  events.add((event) => {
    if (event.type === 'session:start') withStorage((storage) => storage.setItem(key, '1'));
    if (event.type === 'session:end') forget();
  });
  return { held: () => withStorage((storage) => storage.getItem(key)) === '1', forget };
}

interface SignedInMark {
  /** Whether this tab held a session (and did not see it end) since it was opened. */
  held(): boolean;
  /** Start-up's refresh was refused: there is no session to come back to. */
  forget(): void;
}

export type Startup = ReturnType<typeof createStartup>;

export function createStartup(session: Session, refresher: Refresher, sessionHint: string | undefined, mark: SignedInMark | undefined) {
  let ready: Promise<SessionState> | undefined;
  let settled = false;

  async function run(): Promise<SessionState> {
    const noSession = hintSaysNoSession(sessionHint) && !mark?.held();
    if (!noSession && !session.isUsable(session.token())) {
      const outcome = await refresher.refresh('startup');
      // Refused: the session ended (and is anonymous). Failed: still unknown, the next request tries again.
      if (outcome.kind === 'rejected') {
        mark?.forget();
        session.noneFound();
      }
    } else {
      session.noneFound();
    }
    settled = true;
    return session.getState();
  }

  /** Starts start-up the first time; every call returns the same promise. */
  const start = (): Promise<SessionState> => (ready ??= run());
  return {
    ready: start,
    settled: () => settled,
    /** What a request waits for: start-up, started if need be, until it settles; then nothing. */
    pending: (): Promise<SessionState> | undefined => (settled ? undefined : start()),
  };
}
