import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { authFetch, dpop } from '../../shared/auth';
import AccountView from './views/AccountView.vue';
import LoginView from './views/LoginView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** Only for a signed-in session: the guard sends anyone else to the login page. */
    requiresAuth?: boolean;
  }
}

export const router = createRouter({
  // The playground serves the app under /vue/ and answers every path without an extension with its index.html.
  history: createWebHistory('/vue/'),
  routes: [
    { path: '/', name: 'account', component: AccountView, meta: { requiresAuth: true } },
    { path: '/login', name: 'login', component: LoginView },
  ],
});

/**
 * The login page, remembering where to come back to. It keeps `?dpop=1` as well: the instance reads
 * it when the page loads, so a reload of the login page must find it there.
 */
export const loginFor = (to: RouteLocationNormalized) => ({ name: 'login', query: dpop ? { next: to.fullPath, dpop: '1' } : { next: to.fullPath } });

/** Where the login page goes once signed in: its `next`, if it is a path of this app. */
export function afterLogin(to: RouteLocationNormalized): string {
  const next = to.query.next;
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

// `ready` settles once start-up knows the state (another tab's token, or one refresh); after that
// getState() is the truth. A guarded page is never shown before the session is known.
router.beforeEach(async (to) => {
  if (!to.meta.requiresAuth) return true;
  await authFetch.ready;
  return authFetch.getState().status === 'authenticated' ? true : loginFor(to);
});
