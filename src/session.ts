/**
 * The session of one tab: the token it holds, its era, and the requests waiting on it.
 *
 * Eras: each login and each session end starts one. What was under way for an older era (a refresh
 * answer, a 401 in hand) is not acted on, so a logout or a login is never undone by it.
 */
import type { Clock } from './clock.js';
import { SessionEndedError, type SessionEndReason } from './errors.js';
import type { Observable } from './observable.js';
import type { Refusal } from './refresh-call.js';
import { isNewer, isStale, readClaims, type Token } from './token.js';

export type Session = ReturnType<typeof createSession>;

export function createSession(clock: Clock, leewayMs: number, observable: Observable) {
  let token: Token | undefined;
  let era = 0;
  /** When the last session ended: a late message from another tab must not bring back a token from before. */
  let endedAt = -Infinity;
  /**
   * One controller per pending request or wait, all aborted when the session ends. (One shared
   * signal would collect a listener per request, which Node reports as a leak past ten.)
   */
  const pending = new Set<AbortController>();
  const arrivals = new Set<(token: Token) => void>();
  const authenticated = () => observable.get().status === 'authenticated';

  function abortPending(reason: SessionEndReason): void {
    for (const controller of pending) controller.abort(new SessionEndedError(reason));
    pending.clear();
  }

  /** When a token expires on this device's clock, for the app (tokens keep server time). */
  const localExpiry = (t: Token) => (t.expiresAt === undefined ? undefined : t.expiresAt - clock.skew());

  const publish = (t: Token) =>
    observable.set({ status: 'authenticated', accessToken: t.accessToken, expiresAt: localExpiry(t), claims: readClaims(t.accessToken), tokenType: t.tokenType ?? 'Bearer' });

  function hold(next: Token): void {
    const starting = !authenticated();
    token = next;
    publish(next);
    if (starting) observable.emit({ type: 'session:start' });
    for (const fn of [...arrivals]) fn(next);
  }

  return {
    token: () => token,
    era: () => era,
    localExpiry,
    /** A token that can be sent as it is: not inside its leeway window (judged by server time). */
    isUsable: (t: Token | undefined): t is Token => t !== undefined && !isStale(t, clock.serverNow(), leewayMs),
    /** A token another tab holds: taken when newer than ours or, without one, issued after the last session end. */
    offer(next: Token): void {
      const wanted = token ? isNewer(next, token) : next.obtainedAt > endedAt;
      if (wanted) hold(next);
    },
    /** This tab's own refresh answered: its token replaces whatever is held. */
    accept: hold,
    /**
     * A token from a login (`setTokens`, `login`). Without a session, or for another user (JWT `sub`),
     * it starts an era: what was under way before it is not acted on, so nothing is replayed as the
     * new user. For the same user it is a new token for the session (its 401s replay with it).
     */
    login(next: Token): void {
      const sameUser = token !== undefined && readClaims(token.accessToken).sub === readClaims(next.accessToken).sub;
      if (!authenticated() || !sameUser) era++;
      hold(next);
    },
    /** Ends the session here (never broadcasts: the caller decides whether the other tabs must hear it). */
    end(reason: SessionEndReason, refused?: Refusal): void {
      const wasAuthenticated = authenticated();
      endedAt = clock.now();
      token = undefined;
      era++;
      // Without a session (a cookie refused at start-up) the waiting requests just go out without a token.
      if (wasAuthenticated || reason === 'logout') abortPending(reason);
      observable.set(refused ? { status: 'anonymous', refused } : { status: 'anonymous' });
      if (wasAuthenticated) observable.emit(refused ? { type: 'session:end', reason, refused } : { type: 'session:end', reason });
    },
    /** The clock learnt a new skew: the state's `expiresAt` (this device's clock) follows it. */
    clockMoved(): void {
      // A token is held exactly while the state is `authenticated` (hold and end set both together).
      if (token) publish(token);
    },
    /** A controller for one request or wait, aborted with `SessionEndedError` if the session ends first. */
    enlist(): AbortController {
      const controller = new AbortController();
      pending.add(controller);
      return controller;
    },
    release: (controller: AbortController) => void pending.delete(controller),
    abortPending,
    /** Calls `fn` with every token this tab takes from now on; returns the undo. */
    onToken(fn: (token: Token) => void): () => void {
      arrivals.add(fn);
      return () => void arrivals.delete(fn);
    },
  };
}
