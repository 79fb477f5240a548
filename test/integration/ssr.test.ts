/**
 * Server-side rendering with the real renderers (Vue's renderToString, Svelte's render) against the
 * reference server, as README's SSR section says: one instance per request answers each user with
 * their own data; one instance shared by requests hands one user's data to another; and a server
 * render leaves no subscription behind (nothing on a server ever unmounts).
 */
import { render } from 'svelte/server';
import { createSSRApp, defineComponent, h, inject, onServerPrefetch, ref } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../playground/server.js';
import { createAuthFetch, type AuthFetch } from '../../src/index.js';
import { authFetchKey, useSession } from '../../src/vue.js';
import { countListeners } from '../helpers/listeners.js';
import { provideToRecipes } from '../helpers/recipe-auth.js';

let server: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  server = await start({ port: 0 });
});
afterAll(() => server.close());

/** The access token a login as `username` returns (the server-side credential of README's per-request case). */
async function tokenOf(username: string, password: string): Promise<string> {
  const response = await fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ username, password }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** What a server-side instance looks like: no channel (the default outside a page), no refresh cookie to use. */
const serverInstance = (): AuthFetch =>
  createAuthFetch({ refresh: async () => null, trustedOrigins: [server.url], channel: false });

/** A page whose render calls the API as the user, through the instance the app provides. */
const MePage = defineComponent(() => {
  const session = useSession();
  const authFetch = inject(authFetchKey)!;
  const name = ref('?');
  onServerPrefetch(async () => {
    const response = await authFetch(`${server.url}/api/me`);
    name.value = response.ok ? ((await response.json()) as { id: string }).id : String(response.status);
  });
  return () => h('p', `${session.value.status}: ${name.value}`);
});
async function renderPage(authFetch: AuthFetch): Promise<string> {
  return renderToString(createSSRApp(MePage).provide(authFetchKey, authFetch));
}

describe('SSR with Vue (renderToString)', () => {
  it('one instance per request: each render calls the API as its own user; useSession subscribes to nothing', async () => {
    const [alice, bob] = await Promise.all([tokenOf('alice', 'wonderland'), tokenOf('bob', 'builder')]);
    const perRequest = async (token: string) => {
      const authFetch = serverInstance();
      const listeners = countListeners(authFetch);
      try {
        authFetch.setTokens({ accessToken: token });
        const html = await renderPage(authFetch);
        return { html, subscriptions: listeners.made() };
      } finally {
        authFetch.dispose();
      }
    };
    const [a, b] = await Promise.all([perRequest(alice), perRequest(bob)]); // two requests at once
    expect(a.html).toBe('<p>authenticated: alice</p>');
    expect(b.html).toBe('<p>authenticated: bob</p>');
    expect([a.subscriptions, b.subscriptions]).toEqual([0, 0]);
  });

  it('one instance shared by requests must never hold a token: Bob, who never signed in, is rendered as Alice', async () => {
    const shared = serverInstance();
    try {
      shared.setTokens({ accessToken: await tokenOf('alice', 'wonderland') }); // Alice's request did this
      const bobsPage = await renderPage(shared); // Bob's request, no token of his own
      expect(bobsPage).toBe('<p>authenticated: alice</p>');
    } finally {
      shared.dispose();
    }
    // Without a token, as README says a shared server instance must stay, Bob's render is anonymous.
    const clean = serverInstance();
    try {
      await clean.ready;
      expect(await renderPage(clean)).toBe('<p>anonymous: 401</p>');
    } finally {
      clean.dispose();
    }
  });

  it("README's App.vue renders on the server with a provided instance, and leaves no subscription", async () => {
    const authFetch = serverInstance();
    const listeners = countListeners(authFetch);
    try {
      authFetch.setTokens({ accessToken: await tokenOf('bob', 'builder') });
      const { default: App } = await import('readme:vue/App.vue');
      const html = await renderToString(createSSRApp(App).provide(authFetchKey, authFetch));
      expect(html).toContain('Signed in (0 refreshes)');
      expect(listeners.made()).toBe(0); // neither useSession nor onAuthEvent subscribed
    } finally {
      authFetch.dispose();
    }
  });
});

describe('SSR with Svelte (svelte/server render)', () => {
  it("README's runes component reads $authFetch once: no subscription is left after the render", async () => {
    const authFetch = serverInstance();
    const listeners = countListeners(authFetch);
    provideToRecipes(authFetch);
    try {
      const { default: Session } = await import('readme:svelte/Session.svelte');
      await authFetch.ready;
      expect(render(Session).body).toContain('Log in');
      authFetch.setTokens({ accessToken: await tokenOf('alice', 'wonderland') });
      expect(render(Session).body).toContain('Signed in (0 refreshes)');
      expect(listeners.made()).toBe(2); // the store, once per render ($effect does not run on a server)
      expect(listeners.active()).toBe(0);
    } finally {
      authFetch.dispose();
    }
  });
});
