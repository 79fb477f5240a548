/**
 * README's recipes, run as written: each snippet is read from README.md (after its
 * `<!-- recipe: name -->` marker), its imports are supplied, and it runs in happy-dom against a
 * fake API. Vue and Svelte are not installed: their few functions the snippets use are stand-ins
 * with the same contract.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthFetch, type AuthFetch, type AuthFetchOptions, type SessionState } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';

// Paths, not `new URL(…, import.meta.url)`: happy-dom's URL is not the one node:fs accepts.
const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');

function recipe(name: string): string {
  const match = new RegExp(`<!-- recipe: ${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no recipe "${name}"`);
  return match[1];
}

/** Runs a JS recipe as a module body: its imports are `imports` (all required), its exports the result. */
async function run(name: string, imports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const code = recipe(name);
  const imported = [...code.matchAll(/^import \{([^}]+)\}/gm)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()));
  expect(Object.keys(imports).sort()).toEqual(imported.sort());
  const exported = [...code.matchAll(/^export (?:const|function) (\w+)/gm)].map((m) => m[1]);
  const body = `${code.replace(/^import .*$/gm, '').replace(/^export /gm, '')}\nreturn { ${exported.join(', ')} };`;
  const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<Record<string, unknown>>;
  return new AsyncFunction(...Object.keys(imports), body)(...Object.values(imports));
}

/** The app's server: the fake API plus a login route, answering relative URLs of the page. */
function server() {
  const api = fakeApi({ origin: location.origin, refresh: 'reject' });
  const logins: string[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (url.pathname !== '/auth/login') return api.fetch(url.href, init);
    logins.push(String(init?.body));
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
    const off = authFetch.subscribe((state) => state.status === status && (queueMicrotask(() => off()), resolve()));
  });

/** The `auth.js` of the Vue and Svelte recipes: the vanilla recipe's first line. */
const authJs = () => tracked({ refresh: '/auth/refresh', logout: '/auth/logout' });

describe('vanilla JS recipe', () => {
  it('shows the login form while anonymous, signs in on submit, loads /api/me with the token, signs out', async () => {
    const { api, logins } = server();
    document.body.innerHTML = `
      <form id="login"><input name="username" value="alice"><input name="password" value="wonderland"></form>
      <main id="app"></main><button id="logout">Log out</button>`;
    const $ = (selector: string) => document.querySelector<HTMLElement>(selector)!;
    const { authFetch, loadMe } = (await run('vanilla', { createAuthFetch: tracked })) as { authFetch: AuthFetch; loadMe: () => Promise<unknown> };

    await authFetch.ready;
    expect([$('#login').hidden, $('#app').hidden]).toEqual([false, true]);

    const signedIn = until(authFetch, 'authenticated');
    $('#login').dispatchEvent(new Event('submit', { cancelable: true }));
    await signedIn;
    expect(JSON.parse(logins[0]!)).toEqual({ username: 'alice', password: 'wonderland' });
    expect([$('#login').hidden, $('#app').hidden]).toEqual([true, false]);

    expect(await loadMe()).toMatchObject({ ok: true });
    expect(api.state.requests.at(-1)?.authorization).toMatch(/^Bearer /);

    const signedOut = until(authFetch, 'anonymous');
    $('#logout').click();
    await signedOut;
    expect([$('#login').hidden, $('#app').hidden]).toEqual([false, true]);
  });
});

describe('Vue recipe', () => {
  /** Vue's contract for these three: a ref's `.value`, a read-only view of it, cleanup when the scope stops. */
  function vueStandIn() {
    const disposers: Array<() => void> = [];
    return {
      shallowRef: <T>(value: T) => ({ value }),
      readonly: <T extends object>(target: T) =>
        new Proxy(target, {
          set: () => {
            throw new TypeError('readonly');
          },
        }),
      onScopeDispose: (fn: () => void) => void disposers.push(fn),
      stopScope: () => disposers.splice(0).forEach((fn) => fn()),
    };
  }

  it('useSession() follows the state, is read-only, and stops listening when its scope is disposed', async () => {
    server();
    const authFetch = authJs();
    const { stopScope, ...vue } = vueStandIn();
    const { useSession } = (await run('vue', { ...vue, authFetch })) as { useSession: () => { value: SessionState } };

    const session = useSession();
    expect(session.value.status).toBe('unknown');
    await authFetch.ready;
    expect(session.value.status).toBe('anonymous');
    authFetch.setTokens({ accessToken: fakeApi().issue() });
    expect(session.value.status).toBe('authenticated');
    expect(() => ((session as { value: unknown }).value = null)).toThrow(TypeError);

    stopScope();
    await authFetch.logout();
    expect(session.value.status).toBe('authenticated'); // no longer listening
    expect(authFetch.getState().status).toBe('anonymous');
  });
});

describe('Svelte recipes', () => {
  /** What Svelte compiles `$store` in a component to: subscribe on mount, read synchronously, unsubscribe on destroy. */
  function mount(store: AuthFetch) {
    let value: SessionState | undefined;
    const unsubscribe = store.subscribe((v) => (value = v));
    return { get $authFetch() {
      return value!;
    }, destroy: unsubscribe };
  }

  /** The recipe's `{#if …}` / `{:else if …}` conditions, evaluated against `$authFetch`; the index of the branch shown. */
  function branch($authFetch: SessionState): number {
    const conditions = [...recipe('svelte').matchAll(/\{[#:](?:else )?if (.+?)\}\n/g)].map((m) => m[1]!);
    expect(conditions).toHaveLength(2);
    return conditions.findIndex((c) => new Function('$authFetch', `return ${c}`)($authFetch) === true);
  }

  it('$authFetch renders the logout button when authenticated, the login link when anonymous, nothing while unknown', async () => {
    server();
    const authFetch = authJs();
    const component = mount(authFetch);
    expect(branch(component.$authFetch)).toBe(-1); // unknown: neither
    await authFetch.ready;
    expect(branch(component.$authFetch)).toBe(1);
    authFetch.setTokens({ accessToken: fakeApi().issue() });
    expect(branch(component.$authFetch)).toBe(0);
    component.destroy();
  });

  it('derived(authFetch, …) gives a signedIn store', async () => {
    server();
    const authFetch = authJs();
    // Svelte's derived for one store: subscribes to it on first use and maps each value.
    const derived = <T, U>(store: { subscribe: (fn: (v: T) => void) => () => void }, map: (v: T) => U) => ({
      subscribe: (fn: (v: U) => void) => store.subscribe((v) => fn(map(v))),
    });
    const { signedIn } = (await run('svelte-derived', { derived, authFetch })) as { signedIn: ReturnType<typeof derived<SessionState, boolean>> };
    const seen: boolean[] = [];
    const off = signedIn.subscribe((v) => seen.push(v));
    await authFetch.ready;
    authFetch.setTokens({ accessToken: fakeApi().issue() });
    await authFetch.logout();
    off();
    expect(seen).toEqual([false, false, true, false]);
  });
});
