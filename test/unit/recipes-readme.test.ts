/**
 * The documentation's recipes (README.md and the Markdown files under docs/), run as written in
 * happy-dom against a fake API, with the real frameworks: each is a module that the real Vite
 * plugins compile (test/helpers/readme-recipes.ts). The framework recipes import the test's instance as
 * `./auth.js`; the vanilla page imports README's own `auth.ts`, whose instance the test disposes.
 */
import { createElement, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { act } from 'react';
import { flushSync, mount, unmount } from 'svelte';
import { get } from 'svelte/store';
import { nextTick } from 'vue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthFetch, type AuthFetch, type AuthFetchOptions, type SessionState } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { recipe } from '../helpers/readme-recipes.js';
import { countingBroadcastChannel, countListeners } from '../helpers/listeners.js';
import { provideToRecipes } from '../helpers/recipe-auth.js';

/** The app's server: the fake API plus a login route, answering relative URLs of the page. */
function server() {
  const api = fakeApi({ origin: location.origin, refresh: 'reject' });
  const logins: string[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (url.pathname !== '/auth/login') return api.fetch(url.href, init);
    logins.push(typeof init?.body === 'string' ? init.body : '');
    api.state.refresh = 'ok'; // the login set the refresh cookie
    return Response.json({ accessToken: api.issue(), expiresIn: 300 });
  });
  vi.stubGlobal('fetch', fetch);
  return { api, logins };
}

const made: AuthFetch[] = [];
/** `createAuthFetch` as the recipes import it; each instance is disposed after the test. */
const tracked = (options: AuthFetchOptions) => {
  const authFetch = createAuthFetch(options);
  made.push(authFetch);
  return authFetch;
};
afterEach(() => {
  made.splice(0).forEach((f) => f.dispose());
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

const until = (authFetch: AuthFetch, status: SessionState['status']) =>
  new Promise<void>((resolve) => {
    const off = authFetch.subscribe((state) => {
      if (state.status !== status) return;
      queueMicrotask(() => off());
      resolve();
    });
  });

/** The `./auth.js` of the framework recipes: the vanilla recipe's first line, given to the recipes. */
function authJs(): AuthFetch {
  const authFetch = tracked({ refresh: '/auth/refresh', logout: '/auth/logout' });
  provideToRecipes(authFetch);
  return authFetch;
}

/**
 * The recipes' instance, started (anonymous) and counting what subscribes to it; then a login as
 * the server sees it (the refresh cookie is set), after which `signIn()` starts the session.
 */
async function anonymousApp() {
  const { api } = server();
  const authFetch = authJs();
  const listeners = countListeners(authFetch);
  await authFetch.ready;
  api.state.refresh = 'ok';
  const signIn = () => authFetch.setTokens({ accessToken: api.issue(), expiresIn: 300 });
  return { authFetch, listeners, signIn };
}

describe("vanilla TypeScript recipe (docs/recipes/vanilla.md's page, README's auth.ts)", () => {
  it('shows the login form while anonymous, signs in on submit, loads /api/me with the token, signs out', async () => {
    const { api, logins } = server();
    // The recipe's index.html without its <script>: the test imports main.ts itself.
    const page = new DOMParser().parseFromString(recipe('vanilla/index.html'), 'text/html');
    page.querySelectorAll('script').forEach((script) => script.remove());
    document.body.innerHTML = page.body.innerHTML;
    await import('readme:vanilla/main.ts');
    const { authFetch } = await import('readme:vanilla/auth.ts');
    made.push(authFetch);
    const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;

    await authFetch.ready;
    expect([$('#login-form').hidden, $('#signed-in').hidden]).toEqual([false, true]);

    $<HTMLInputElement>('[name=username]').value = 'alice';
    $<HTMLInputElement>('[name=password]').value = 'wonderland';
    const signedIn = until(authFetch, 'authenticated');
    $('#login-form').dispatchEvent(new Event('submit', { cancelable: true }));
    await signedIn;
    expect(JSON.parse(logins[0]!)).toEqual({ username: 'alice', password: 'wonderland' });
    expect([$('#login-form').hidden, $('#signed-in').hidden]).toEqual([true, false]);

    $('#load-me').click();
    await vi.waitFor(() => expect(JSON.parse($('#answer').textContent)).toMatchObject({ ok: true }));
    expect(api.state.requests.at(-1)?.authorization).toMatch(/^Bearer /);

    const signedOut = until(authFetch, 'anonymous');
    $('#logout').click();
    await signedOut;
    expect([$('#login-form').hidden, $('#signed-in').hidden, $('#answer').textContent]).toEqual([false, true, '']);
  });
});

describe('Vue recipes (auth-fetch/vue, real Vue)', () => {
  it('main.ts provides the instance; App.vue follows the session, counts refreshes, logs out, and unsubscribes when unmounted', async () => {
    const { authFetch, listeners, signIn } = await anonymousApp();
    document.body.innerHTML = '<div id="app"></div>';
    await import('readme:vue/main.ts');
    const root = document.querySelector<HTMLElement & { __vue_app__?: { unmount(): void } }>('#app')!;
    expect(root.textContent).toBe('Log in');
    expect(listeners.active()).toBe(2); // useSession and onAuthEvent

    signIn();
    await nextTick();
    expect(root.textContent).toContain('Signed in (0 refreshes)');
    await authFetch.refresh();
    await nextTick();
    expect(root.textContent).toContain('Signed in (1 refreshes)');

    const signedOut = until(authFetch, 'anonymous');
    root.querySelector('button')!.click();
    await signedOut;
    await nextTick();
    expect(root.textContent).toBe('Log in');

    root.__vue_app__!.unmount();
    expect(listeners.active()).toBe(0);
  });
});

describe('Svelte recipes (no adapter, real Svelte 5)', () => {
  it('a runes component reads $authFetch, counts refresh events through $effect, and unsubscribes when destroyed', async () => {
    const { authFetch, listeners, signIn } = await anonymousApp();
    const { default: Session } = await import('readme:svelte/Session.svelte');
    const target = document.createElement('div');
    const component = mount(Session, { target });
    flushSync();
    expect(target.textContent?.trim()).toBe('Log in');
    expect(listeners.active()).toBe(2); // the $authFetch store and the $effect's on()

    signIn();
    flushSync();
    expect(target.textContent).toContain('Signed in (0 refreshes)');
    await authFetch.refresh();
    flushSync();
    expect(target.textContent).toContain('Signed in (1 refreshes)');

    const signedOut = until(authFetch, 'anonymous');
    target.querySelector('button')!.click();
    await signedOut;
    flushSync();
    expect(target.textContent?.trim()).toBe('Log in');

    await unmount(component);
    expect(listeners.active()).toBe(0);
  });

  it('derived(authFetch, …) and get() from svelte/store take the instance as it is', async () => {
    const { authFetch, listeners, signIn } = await anonymousApp();
    const { signedIn: signedInStore, isSignedIn } = await import('readme:svelte/session.ts');
    const seen: boolean[] = [];
    const off = signedInStore.subscribe((v) => seen.push(v));
    expect(isSignedIn()).toBe(false);
    signIn();
    expect(isSignedIn()).toBe(true);
    expect(get(authFetch)).toBe(authFetch.getState()); // get() on the instance itself
    await authFetch.logout();
    off();
    expect(seen).toEqual([false, true, false]);
    expect(listeners.active()).toBe(0); // derived dropped its subscription with its last subscriber; get() kept none
  });
});

describe('React recipe (useSyncExternalStore, real React 19)', () => {
  // Web Locks are not in happy-dom (the instance refreshes on its own here): test/browser/dispose.test.ts
  // mounts this recipe under StrictMode in Chromium and checks the locks there.
  it('under StrictMode: one instance, one channel, one subscription while mounted, none after unmount', async () => {
    const channels = countingBroadcastChannel();
    vi.stubGlobal('BroadcastChannel', channels.Channel);
    vi.stubGlobal('IS_REACT_ACT_ENVIRONMENT', true);
    const { authFetch, listeners, signIn } = await anonymousApp();
    expect(channels.open()).toBe(1); // the module-level instance's own
    const { useSession } = await import('readme:react/use-session.ts');
    const Status = () => createElement('p', null, useSession().status);

    const container = document.createElement('div');
    const root = createRoot(container);
    await act(async () => root.render(createElement(StrictMode, null, createElement(Status))));
    expect(container.textContent).toBe('anonymous');
    // StrictMode subscribed, unsubscribed and subscribed again: one left, and no other instance.
    expect(listeners.made()).toBeGreaterThanOrEqual(2);
    expect(listeners.active()).toBe(1);

    await act(async () => signIn());
    expect(container.textContent).toBe('authenticated');
    await act(async () => void (await authFetch.refresh())); // a refresh claims the channel's turn
    await act(async () => authFetch.logout());
    expect(container.textContent).toBe('anonymous');

    await act(async () => root.unmount());
    expect(listeners.active()).toBe(0);
    expect(channels.opened()).toBe(1);
    authFetch.dispose();
    expect(channels.open()).toBe(0);
  });
});
