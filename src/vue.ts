/**
 * `auth-fetch-tabs/vue`: the session as a Vue ref and the events as a scoped listener. Both unsubscribe
 * when the effect scope that called them stops (a component unmounting, `scope.stop()`), so nothing
 * outlives the component. Vue is a peer: this entry imports it, the core never does.
 */
import { getCurrentScope, inject, onScopeDispose, shallowReadonly, shallowRef, type InjectionKey, type Ref } from 'vue';
import type { AuthEvent, AuthFetch, SessionState } from './index.js';

/**
 * Where `useSession()` and `onAuthEvent()` find the instance when none is passed:
 * `app.provide(authFetchKey, authFetch)`. On a server, provide one instance per request.
 * @example createApp(App).provide(authFetchKey, authFetch).mount('#app')
 */
export const authFetchKey: InjectionKey<AuthFetch> = Symbol('auth-fetch-tabs');

/**
 * A server render runs `setup()` but never unmounts, so a subscription made there would never end:
 * on the server these helpers read the state once and subscribe to nothing.
 */
const onServer = (): boolean => typeof document === 'undefined';

function resolve(authFetch: AuthFetch | undefined, caller: string): AuthFetch {
  const found = authFetch ?? inject(authFetchKey, null);
  if (typeof found !== 'function') {
    throw new TypeError(`\`${caller}\` needs an instance: pass it, or \`app.provide(authFetchKey, authFetch)\`; got ${String(found)}`);
  }
  return found;
}

/** Subscribes only inside an effect scope, and unsubscribes when it stops: without one nothing would ever unsubscribe. */
function whileInScope(subscribe: () => () => void, caller: string): () => void {
  if (!getCurrentScope()) throw new Error(`\`${caller}\` must be called in setup() or an effectScope(), whose end unsubscribes it`);
  const off = subscribe();
  onScopeDispose(off);
  return off;
}

/**
 * The session as a read-only ref that follows every change (in this tab and from the others).
 * Call it in `setup()` (or an `effectScope()`): it unsubscribes when that scope stops.
 * @example
 * const session = useSession(authFetch); // or useSession() after app.provide(authFetchKey, authFetch)
 * // <p v-if="session.status === 'authenticated'">Signed in</p>
 */
export function useSession(authFetch?: AuthFetch): Readonly<Ref<SessionState>> {
  const instance = resolve(authFetch, 'useSession');
  const session = shallowRef(instance.getState());
  if (!onServer()) {
    whileInScope(
      () =>
        instance.subscribe((state) => {
          session.value = state;
        }),
      'useSession',
    );
  }
  return shallowReadonly(session);
}

/**
 * Calls `handler` with every event (`refresh:start`, `session:end`, …) until the current effect
 * scope stops; returns the function that stops it sooner. On the server it listens to nothing.
 * @example onAuthEvent((event) => { if (event.type === 'session:end') router.push('/login') })
 */
export function onAuthEvent(handler: (event: AuthEvent) => void, authFetch?: AuthFetch): () => void {
  const instance = resolve(authFetch, 'onAuthEvent');
  if (typeof handler !== 'function') throw new TypeError(`\`onAuthEvent\` takes a function, got ${String(handler)}`);
  if (onServer()) return () => undefined;
  return whileInScope(() => instance.on(handler), 'onAuthEvent');
}
