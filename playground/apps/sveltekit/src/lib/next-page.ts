import { base } from '$app/paths';

/** The login page, remembering the page to come back to (`next`, a path inside the app). */
export const loginUrl = (from: URL): string => `${base}/login?next=${encodeURIComponent(from.pathname.slice(base.length) + from.search)}`;

/** Where to go once signed in: `next` if it is a path of this app (never another site's URL). */
export function afterLogin(url: URL): string {
  const next = url.searchParams.get('next');
  return `${base}${next?.startsWith('/') && !next.startsWith('//') ? next : '/'}`;
}
