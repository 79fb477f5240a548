import { browser } from '$app/environment';
import { redirect } from '@sveltejs/kit';
import { getAuthFetch } from '$lib/auth';
import { loginUrl } from '$lib/next-page';
import type { LayoutLoad } from './$types';

/**
 * The guard of every page in (signed-in)/. On the server there is no session to check (the instance
 * lives in the browser): the page renders its shell. In the browser this load runs before the page
 * shows, at hydration and at every navigation, and waits for start-up to know the session.
 */
export const load: LayoutLoad = async ({ url }) => {
  if (!browser) return;
  const authFetch = getAuthFetch();
  await authFetch.ready;
  if (authFetch.getState().status !== 'authenticated') redirect(307, loginUrl(url));
};
