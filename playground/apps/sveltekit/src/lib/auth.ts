import { browser } from '$app/environment';
import { createAuthFetch, type AuthFetch } from 'auth-fetch-tabs';

let instance: AuthFetch | undefined;

/**
 * The page's one instance, created on first use, in the browser only. The server renders pages for
 * every visitor: an instance in its module scope would be shared by all of them, so on the server
 * there is none and asking for it is a bug.
 */
export function getAuthFetch(): AuthFetch {
  if (!browser) throw new Error('auth-fetch lives in the browser: call getAuthFetch() from a load guarded by `browser`, onMount or an event handler');
  // sessionHint: an anonymous visitor (no `auth_hint` cookie) costs no refresh call and no 401.
  instance ??= createAuthFetch({ refresh: '/auth/refresh', logout: '/auth/logout', sessionHint: 'auth_hint' });
  return instance;
}
