import { createAuthFetch } from 'auth-fetch-tabs';
import { authFetchKey } from 'auth-fetch-tabs/vue';

/**
 * `.client`: this plugin runs in the browser only, so the instance never exists in the server's
 * module scope, where it would be shared by every visitor's render. Components find it with
 * useSession() (authFetchKey), everything else as `useNuxtApp().$authFetch`.
 */
export default defineNuxtPlugin((nuxtApp) => {
  // sessionHint: an anonymous visitor (no `auth_hint` cookie) costs no refresh call and no 401.
  const authFetch = createAuthFetch({ refresh: '/auth/refresh', logout: '/auth/logout', sessionHint: 'auth_hint' });
  nuxtApp.vueApp.provide(authFetchKey, authFetch);
  return { provide: { authFetch } };
});
