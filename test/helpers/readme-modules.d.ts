/** The documentation's recipes as modules (test/helpers/readme-recipes.ts serves them). */
declare module 'readme:*' {
  const component: import('vue').Component & import('svelte').Component;
  export default component;
  export const signedIn: import('svelte/store').Readable<boolean>;
  export const isSignedIn: () => boolean;
  export const useSession: () => import('../../src/index.js').SessionState;
  export const authFetch: import('../../src/index.js').AuthFetch;
}
