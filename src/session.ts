/** The session's observable state (a Svelte-store contract) and its event stream. */
import type { RefreshError, SessionEndReason } from './errors.js';

export type SessionState =
  | { status: 'unknown' }
  | { status: 'anonymous' }
  | { status: 'authenticated'; accessToken: string; expiresAt: number | undefined };

export type RefreshReason = 'proactive' | 'reactive' | 'startup' | 'manual';

export type AuthEvent =
  | { type: 'refresh:start'; reason: RefreshReason }
  | { type: 'refresh:success'; source: 'network' | 'tab'; expiresAt: number | undefined }
  | { type: 'refresh:error'; error: RefreshError }
  | { type: 'replay'; method: string; url: string }
  | { type: 'session:start' }
  | { type: 'session:end'; reason: SessionEndReason }
  | { type: 'tab:message'; kind: string };

type Listener<T> = (value: T) => void;

/** A set of listeners where one throwing listener cannot starve the others or the caller. */
function emitter<T>() {
  const listeners = new Set<Listener<T>>();
  return {
    add(fn: Listener<T>): () => void {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    emit(value: T): void {
      for (const fn of [...listeners]) {
        try {
          fn(value);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    clear: () => listeners.clear(),
  };
}

export function createSession() {
  let state: SessionState = { status: 'unknown' };
  const states = emitter<SessionState>();
  const events = emitter<AuthEvent>();
  return {
    get: () => state,
    set(next: SessionState): void {
      const same =
        next.status === state.status &&
        (next.status !== 'authenticated' ||
          (state.status === 'authenticated' && next.accessToken === state.accessToken));
      if (same) return;
      state = next;
      states.emit(state);
    },
    subscribe(fn: Listener<SessionState>): () => void {
      const off = states.add(fn);
      fn(state);
      return off;
    },
    on: events.add,
    emit: events.emit,
    clear(): void {
      states.clear();
      events.clear();
    },
  };
}

export type Session = ReturnType<typeof createSession>;
