/**
 * The session of one tab, and the one source of truth about it: the token it holds, whether it is
 * known to have none, its era, and the state and `session:*` events derived from them.
 *
 * Eras: each login and each session end starts one. What was under way for an older era (a refresh
 * answer, a 401 in hand) is not acted on, so a logout or a login is never undone by it. A session
 * end also aborts the signal of the requests and waits of its session.
 */
import type { Clock } from './clock.js';
import { SessionEndedError, type SessionEndReason } from './errors.js';
import { createEmitter, mustBeFunction, notify, type AuthEvent, type Emitter, type Listener } from './events.js';
import type { Refusal } from './refresh-call.js';
import { isNewer, isStale, readClaims, staleFrom, type Claims, type Token } from './token.js';

export type SessionState =
  | { status: 'unknown' }
  | {
      status: 'anonymous';
      /** Set when the server refused the refresh token: its HTTP `status` and error `code` (why there is no session). */
      refused?: Refusal;
    }
  | {
      status: 'authenticated';
      accessToken: string;
      /** When the token expires, on this device's clock (epoch ms); `undefined` when unknown (an opaque token without `expiresIn`). */
      expiresAt: number | undefined;
      /** The access token's JWT payload (`sub`, `name`…), decoded but NOT verified: for display only; the server is the judge. `{}` for an opaque token. */
      claims: Claims;
      /** How the token is presented: `Bearer`, or `DPoP` with a proof signed by this browser's key (the `dpop` option). */
      tokenType: 'Bearer' | 'DPoP';
    };

export type Session = ReturnType<typeof createSession>;

/** What a subscriber can see changed: the status, the token, or its expiry on this device's clock. */
function sameState(a: SessionState, b: SessionState): boolean {
  if (a.status !== b.status) return false;
  if (a.status !== 'authenticated' || b.status !== 'authenticated') return true;
  return a.accessToken === b.accessToken && a.expiresAt === b.expiresAt;
}

/** Whether a login's token is for the user of the token held (JWT `sub`). */
const sameUser = (held: Token | undefined, next: Token) => held !== undefined && readClaims(held.accessToken).sub === readClaims(next.accessToken).sub;

/** The state as the app sees it, derived from the session's facts. */
function deriveState(token: Token | undefined, anonymous: boolean, refused: Refusal | undefined, localExpiry: (t: Token) => number | undefined): SessionState {
  if (token) {
    const { accessToken, tokenType = 'Bearer' } = token;
    return { status: 'authenticated', accessToken, expiresAt: localExpiry(token), claims: readClaims(accessToken), tokenType };
  }
  if (!anonymous) return { status: 'unknown' };
  return refused ? { status: 'anonymous', refused } : { status: 'anonymous' };
}

/**
 * Svelte-store contract: `fn` gets `current()` now and every change. Called before it is registered:
 * if it throws, the caller gets the error and nothing stays registered (the caller never got the
 * function to unsubscribe it).
 */
function subscribeTo(states: Emitter<SessionState>, current: () => SessionState, fn: Listener<SessionState>): () => void {
  mustBeFunction(fn, 'subscribe');
  const seen = current();
  fn(seen);
  const off = states.add(fn);
  // It changed the state itself (e.g. a login on the first render): tell it, like any change.
  if (current() !== seen) notify(fn, current());
  return off;
}

/** The derived state and its subscribers: told only when something they can see changed. */
function stateOf(derive: () => SessionState) {
  const states = createEmitter<SessionState>();
  let state = derive();
  return {
    /** Re-derives the state after the session's facts changed. */
    publish(): void {
      const next = derive();
      if (sameState(next, state)) return;
      state = next;
      states.emit(state);
    },
    get: () => state,
    subscribe: (fn: Listener<SessionState>) => subscribeTo(states, () => state, fn),
    clear: states.clear,
  };
}

/** The signal every request and wait of the current session follows; a logout aborts it, and the next session gets a new one. */
function endingSignal() {
  let controller = new AbortController();
  return {
    signal: () => controller.signal,
    abort(reason: SessionEndReason): void {
      controller.abort(new SessionEndedError(reason));
      controller = new AbortController();
    },
  };
}

/** A token's times as the session judges them: by server time for sending, on this device's clock for the app. `held` is the session's token. */
function tokenTimes(clock: Clock, leewayMs: number, held: () => Token | undefined) {
  return {
    /** When a token expires on this device's clock, for the app (tokens keep server time). */
    localExpiry: (t: Token) => (t.expiresAt === undefined ? undefined : t.expiresAt - clock.skew()),
    /** A token that can be sent as it is: not inside its leeway window (judged by server time). */
    isUsable: (t: Token | undefined): t is Token => t !== undefined && !isStale(t, clock.serverNow(), leewayMs),
    /** When (this device's clock, epoch ms) the held token enters its leeway window; undefined without one or an expiry. */
    refreshDueAt(): number | undefined {
      const t = held();
      const from = t && staleFrom(t, leewayMs);
      return from === undefined ? undefined : from - clock.skew();
    },
  };
}

export function createSession(clock: Clock, leewayMs: number, events: (event: AuthEvent) => void) {
  let token: Token | undefined;
  /** Whether this tab knows there is no session (start-up found none, or it ended). */
  let anonymous = false;
  let refused: Refusal | undefined;
  let era = 0;
  /** When the last session ended: a late message from another tab must not bring back a token from before. */
  let endedAt = -Infinity;
  const ending = endingSignal();

  const times = tokenTimes(clock, leewayMs, () => token);
  const { localExpiry } = times;

  const state = stateOf(() => deriveState(token, anonymous, refused, localExpiry));
  const publish = state.publish;

  function hold(next: Token): void {
    const starting = !token;
    token = next;
    anonymous = false;
    refused = undefined;
    publish();
    if (starting) events({ type: 'session:start' });
  }

  return {
    token: () => token,
    era: () => era,
    /** The signal of this session's requests and waits: aborted with `SessionEndedError` when a logout ends it. */
    signal: ending.signal,
    ...times,
    /** A token another tab holds: taken when newer than ours or, without one, issued after the last session end. Says whether it was taken. */
    offer(next: Token): boolean {
      const wanted = token ? isNewer(next, token) : next.obtainedAt > endedAt;
      if (wanted) hold(next);
      return wanted;
    },
    /** This tab's own refresh answered: its token replaces whatever is held. */
    accept: hold,
    /**
     * A token from a login (here or in another tab). Without a session, or for another user (JWT
     * `sub`), it starts an era: what was under way before it is not acted on, so nothing is replayed
     * as the new user. For the same user it is a new token for the session (its 401s replay with it).
     */
    startWith(next: Token): void {
      if (!sameUser(token, next)) era++;
      hold(next);
    },
    /** Start-up found no session: anonymous, unless something else decided meanwhile. */
    noneFound(): void {
      if (token || anonymous) return;
      anonymous = true;
      publish();
    },
    /** Ends the session here (never tells the other tabs: the caller decides whether they must hear it). */
    end(reason: SessionEndReason, refusal?: Refusal): void {
      const wasAuthenticated = token !== undefined;
      endedAt = clock.now();
      token = undefined;
      anonymous = true;
      refused = refusal;
      era++;
      // A logout (here or in another tab) ends what its session was doing. A refused refresh token
      // answers through the refresh's outcome instead: a request that holds its 401 returns it, one
      // not yet sent rejects. Without a session (a cookie refused at start-up) nothing is ended.
      if ((wasAuthenticated || reason === 'logout') && reason !== 'rejected') ending.abort(reason);
      publish();
      if (wasAuthenticated) events(refusal ? { type: 'session:end', reason, refused: refusal } : { type: 'session:end', reason });
    },
    /** The clock learnt a new skew: the state's `expiresAt` (this device's clock) follows it. */
    clockMoved: publish,
    getState: state.get,
    /** Svelte-store contract: `fn` gets the state now and on every change. */
    subscribe: state.subscribe,
    /** `dispose()`: nobody hears anything more. */
    clear: state.clear,
  };
}
