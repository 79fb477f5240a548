import type { RouteLocationNormalizedLoaded } from 'vue-router';

/** Where the login page goes once signed in: its `next`, if it is a path of this app (never another site's URL). */
export function afterLogin(route: RouteLocationNormalizedLoaded): string {
  const next = route.query.next;
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
