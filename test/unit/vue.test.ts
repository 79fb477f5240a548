/**
 * `auth-fetch-tabs/vue` with real Vue in happy-dom: the ref follows the state and cannot be written,
 * both helpers unsubscribe when their effect scope stops (or sooner), find a provided instance,
 * and refuse to run where nothing would ever unsubscribe them. (Their server path, where they
 * subscribe to nothing, is in test/integration/ssr.test.ts.)
 */
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createApp, defineComponent, effectScope, h, nextTick, type Ref } from 'vue';
import { authFetchKey, onAuthEvent, useSession } from '../../src/vue.js';
import type { AuthEvent, AuthFetch, SessionState } from '../../src/index.js';
import { fakeApi } from '../helpers/fake-api.js';
import { countListeners } from '../helpers/listeners.js';
import { setup } from '../helpers/setup.js';

afterEach(() => vi.restoreAllMocks());

function instance() {
  const api = fakeApi();
  const authFetch = setup(api);
  return { api, authFetch, listeners: countListeners(authFetch) };
}

describe('useSession', () => {
  it('follows the state in an effect scope, cannot be written, and unsubscribes when the scope stops', async () => {
    const { api, authFetch, listeners } = instance();
    const scope = effectScope();
    const session = scope.run(() => useSession(authFetch))!;
    expect(session.value).toBe(authFetch.getState());
    authFetch.setTokens({ accessToken: api.issue() });
    expect(session.value.status).toBe('authenticated');
    expect(session.value).toBe(authFetch.getState()); // the state itself, not a copy

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    (session as { value: unknown }).value = { status: 'anonymous' };
    expect(session.value.status).toBe('authenticated');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('readonly'), expect.anything());

    expect(listeners.active()).toBe(1);
    scope.stop();
    expect(listeners.active()).toBe(0);
    await authFetch.logout();
    expect(session.value.status).toBe('authenticated'); // no longer following
  });

  it('finds the instance an app provided, and re-renders its component on a change', async () => {
    const { api, authFetch, listeners } = instance();
    const Status = defineComponent(() => {
      const session = useSession();
      return () => h('p', session.value.status);
    });
    const root = document.createElement('div');
    const app = createApp(Status).provide(authFetchKey, authFetch);
    app.mount(root);
    await authFetch.ready;
    await nextTick();
    expect(root.textContent).toBe(authFetch.getState().status);
    authFetch.setTokens({ accessToken: api.issue() });
    await nextTick();
    expect(root.textContent).toBe('authenticated');
    app.unmount();
    expect(listeners.active()).toBe(0);
  });

  it('outside an effect scope throws instead of subscribing for good; without an instance, a TypeError says how to give one', () => {
    const { authFetch, listeners } = instance();
    expect(() => useSession(authFetch)).toThrow(/must be called in setup\(\) or an effectScope\(\)/);
    expect(listeners.made()).toBe(0);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined); // Vue's own inject() warning
    expect(() => effectScope().run(() => useSession())).toThrow(TypeError);
    expect(() => effectScope().run(() => useSession())).toThrow(/app\.provide\(authFetchKey, authFetch\)/);
  });
});

describe('onAuthEvent', () => {
  it('passes every event until the scope stops, and its return value stops it sooner', async () => {
    const { api, authFetch, listeners } = instance();
    const scope = effectScope();
    const seen: AuthEvent['type'][] = [];
    const stopSooner: AuthEvent['type'][] = [];
    const off = scope.run(() => {
      onAuthEvent((event) => seen.push(event.type), authFetch);
      return onAuthEvent((event) => stopSooner.push(event.type), authFetch);
    })!;
    authFetch.setTokens({ accessToken: api.issue() });
    off();
    await authFetch.refresh();
    expect(stopSooner).toEqual(['session:start']);
    expect(seen).toEqual(['session:start', 'refresh:start', 'refresh:success']);
    scope.stop();
    expect(listeners.active()).toBe(0);
    await authFetch.logout();
    expect(seen).not.toContain('session:end');
  });

  it('takes only a function, and only inside an effect scope', () => {
    const { authFetch, listeners } = instance();
    expect(() => effectScope().run(() => onAuthEvent('session:end' as never, authFetch))).toThrow(/`onAuthEvent` takes a function/);
    expect(() => onAuthEvent(() => undefined, authFetch)).toThrow(/effectScope/);
    expect(listeners.made()).toBe(0);
  });
});

describe('types', () => {
  it('useSession is a read-only ref of SessionState; onAuthEvent handlers get AuthEvent', () => {
    expectTypeOf(useSession).returns.toEqualTypeOf<Readonly<Ref<SessionState>>>();
    expectTypeOf(onAuthEvent).parameter(0).parameter(0).toEqualTypeOf<AuthEvent>();
    expectTypeOf(authFetchKey).toMatchTypeOf<symbol>();
    const typeOnly = (session: ReturnType<typeof useSession>, authFetch: AuthFetch) => {
      // @ts-expect-error the ref is read-only: the state changes only through the instance
      session.value = { status: 'anonymous' };
      // @ts-expect-error useSession takes the instance, not its options
      useSession({ refresh: '/auth/refresh' });
      return authFetch;
    };
    expect(typeof typeOnly).toBe('function');
  });
});
