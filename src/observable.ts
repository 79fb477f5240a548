/** The session's observable state (a Svelte-store contract) and its event stream. */
import type { RefreshError, SessionEndReason } from './errors.js';
import { show } from './options.js';
import type { Refusal } from './refresh-call.js';
import type { Claims } from './token.js';

export type { Refusal };

export type SessionState =
  | { status: 'unknown' }
  /** `refused`: the server's answer when a refresh token was refused (why there is no session). */
  | { status: 'anonymous'; refused?: Refusal }
  | {
      status: 'authenticated';
      accessToken: string;
      /** When the token expires, on this device's clock (epoch ms); undefined when unknown. */
      expiresAt: number | undefined;
      /** The access token's JWT payload (`sub`, `name`…), decoded but NOT verified: for display only; the server is the judge. `{}` for an opaque token. */
      claims: Claims;
      /** How the token is presented: `Bearer`, or `DPoP` with a proof signed by this browser's key (the `dpop` option). */
      tokenType: 'Bearer' | 'DPoP';
    };

export type RefreshReason = 'proactive' | 'reactive' | 'startup' | 'manual';

export type AuthEvent =
  | { type: 'refresh:start'; reason: RefreshReason }
  | { type: 'refresh:success'; source: 'network' | 'tab'; expiresAt: number | undefined }
  | { type: 'refresh:error'; error: RefreshError }
  | { type: 'replay'; method: string; url: string }
  | { type: 'session:start' }
  /** `refused` is set when the reason is `rejected` and the server answered. */
  | { type: 'session:end'; reason: SessionEndReason; refused?: Refusal }
  | { type: 'tab:message'; kind: string };

type Listener<T> = (value: T) => void;

/** Calls a listener about a change; what it throws is reported, not thrown at whoever made the change. */
function notify<T>(fn: Listener<T>, value: T): void {
  try {
    fn(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

// Checked now: once registered, a non-function would throw at every change instead.
function mustBeFunction(fn: unknown, name: string): void {
  if (typeof fn !== 'function') throw new TypeError(`\`${name}\` takes a function, got ${show(fn)}`);
}

/** A set of listeners where one throwing listener cannot starve the others or the caller. */
function emitter<T>() {
  const listeners = new Set<Listener<T>>();
  return {
    add(fn: Listener<T>): () => void {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    emit(value: T): void {
      for (const fn of [...listeners]) notify(fn, value);
    },
    clear: () => listeners.clear(),
  };
}

export function createObservable() {
  let state: SessionState = { status: 'unknown' };
  const states = emitter<SessionState>();
  const events = emitter<AuthEvent>();
  return {
    get: () => state,
    set(next: SessionState): void {
      const same =
        next.status === state.status &&
        (next.status !== 'authenticated' ||
          (state.status === 'authenticated' && next.accessToken === state.accessToken && next.expiresAt === state.expiresAt));
      if (same) return;
      state = next;
      states.emit(state);
    },
    subscribe(fn: Listener<SessionState>): () => void {
      mustBeFunction(fn, 'subscribe');
      // Called before it is registered: if it throws, the caller gets the error and nothing stays
      // registered (the caller never got the function to unsubscribe it).
      const seen = state;
      fn(seen);
      const off = states.add(fn);
      // It changed the state itself (e.g. a login on the first render): tell it, like any change.
      if (state !== seen) notify(fn, state);
      return off;
    },
    on(fn: Listener<AuthEvent>): () => void {
      mustBeFunction(fn, 'on');
      return events.add(fn);
    },
    emit: events.emit,
    clear(): void {
      states.clear();
      events.clear();
    },
  };
}

export type Observable = ReturnType<typeof createObservable>;
