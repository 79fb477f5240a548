/**
 * A page for test/browser/dispose.test.ts: README's React hook (useSyncExternalStore) under
 * StrictMode over the example apps' own instance and sign-in (playground/apps/shared/auth.ts),
 * with BroadcastChannels and subscriptions counted, and `hotReplace()` doing what README's HMR line
 * does on a hot update: dispose the instance, and the module run again creates the next one.
 * Built by Vite in development mode (StrictMode's double mount happens only there).
 */
import { createElement, StrictMode } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { countingBroadcastChannel, countListeners } from '../../helpers/listeners';

// Before the instance exists: it looks BroadcastChannel up when it is created.
const channels = countingBroadcastChannel();
globalThis.BroadcastChannel = channels.Channel;

const { authFetch: first, signIn } = await import('../../../playground/apps/shared/auth');
const { createAuthFetch } = await import('auth-fetch-tabs');
const { provideToRecipes } = await import('../../helpers/recipe-auth');
const { useSession } = await import('readme:react/use-session.ts');

let authFetch = first;
let listeners = countListeners(authFetch);
provideToRecipes(authFetch);

const container = document.getElementById('root')!;
let root: Root | undefined;
const Status = () => createElement('p', null, useSession().status);

/** Settles with the name of the error a call rejected with, or 'ok'. */
const outcome = (call: Promise<unknown>): Promise<string> => call.then(() => 'ok', (error: Error) => error.name);

const page = {
  signIn,
  ready: () => authFetch.ready.then((state) => state.status),
  status: () => authFetch.getState().status,
  mount() {
    root = createRoot(container);
    flushSync(() => root!.render(createElement(StrictMode, null, createElement(Status))));
  },
  text: () => container.textContent,
  unmount: () => root!.unmount(),
  refresh: () => outcome(authFetch.refresh()),
  /** A refresh left running; `outcome` is read later. */
  startRefresh() {
    page.pendingRefresh = outcome(authFetch.refresh());
  },
  pendingRefresh: Promise.resolve(''),
  hotReplace() {
    authFetch.dispose();
    authFetch = createAuthFetch({ refresh: '/auth/refresh', logout: '/auth/logout' });
    listeners = countListeners(authFetch);
    provideToRecipes(authFetch);
  },
  counts: () => ({ subscribed: listeners.active(), subscriptions: listeners.made(), open: channels.open(), opened: channels.opened() }),
  /** Refresh locks held or waited for, and presence locks (one per live instance, held for its life). */
  locks: () =>
    navigator.locks.query().then((q) => {
      const held = (q.held ?? []).map((lock) => lock.name ?? '');
      return { held: held.filter((n) => !n.includes(':tab:')).length, presence: held.filter((n) => n.includes(':tab:')).length, pending: q.pending?.length ?? 0 };
    }),
};
export type ReactSessionPage = typeof page;
(window as unknown as { page: typeof page }).page = page;
