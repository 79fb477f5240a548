/**
 * The guard of the pages that name it (`definePageMeta({ middleware: 'signed-in' })`). On the
 * server there is no session to check (the instance lives in the browser): the page renders its
 * shell. In the browser it runs at hydration and at every navigation, and waits for start-up.
 */
export default defineNuxtRouteMiddleware(async (to) => {
  if (import.meta.server) return;
  const nuxtApp = useNuxtApp();
  await nuxtApp.$authFetch.ready;
  if (nuxtApp.$authFetch.getState().status === 'authenticated') return;
  const login = { path: '/login', query: { next: to.fullPath } };
  // Hydrating the server's HTML of this page: redirecting now would hydrate the login page onto it
  // (a mismatch). Let it hydrate, then leave.
  if (nuxtApp.isHydrating) {
    nuxtApp.hooks.hookOnce('app:suspense:resolve', async () => {
      await navigateTo(login, { replace: true });
    });
    return;
  }
  return navigateTo(login);
});
