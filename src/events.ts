/** Listeners: the state's subscribers and the event stream, where one throwing listener cannot starve the others or the caller. */
import type { RefreshError, SessionEndReason } from './errors.js';
import { show } from './options.js';
import type { Refusal } from './refresh-call.js';

export type RefreshReason = 'proactive' | 'reactive' | 'startup' | 'manual';

export type AuthEvent =
  | { type: 'refresh:start'; reason: RefreshReason }
  /** `source: 'tab'`: another tab's refresh brought the token this tab adopted. */
  | { type: 'refresh:success'; source: 'network' | 'tab'; expiresAt: number | undefined }
  | { type: 'refresh:error'; error: RefreshError }
  | { type: 'replay'; method: string; url: string }
  | { type: 'session:start' }
  /** `refused` is set when the reason is `rejected` and the server answered. */
  | { type: 'session:end'; reason: SessionEndReason; refused?: Refusal }
  | { type: 'tab:message'; kind: string };

export type Listener<T> = (value: T) => void;

/** Calls a listener about a change; what it throws is reported, not thrown at whoever made the change. */
export function notify<T>(fn: Listener<T>, value: T): void {
  try {
    fn(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Checked when registered: a non-function would otherwise throw at every change instead. */
export function mustBeFunction(fn: unknown, name: string): void {
  if (typeof fn !== 'function') throw new TypeError(__DEV__ ? `\`${name}\` takes a function, got ${show(fn)}` : name);
}

export type Emitter<T> = ReturnType<typeof createEmitter<T>>;

export function createEmitter<T>() {
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
