/** The `./auth.js` that README's component recipes import: the instance the running test puts here. */
import type { AuthFetch } from '../../src/index.js';

export let authFetch: AuthFetch;

export function provideToRecipes(instance: AuthFetch): void {
  authFetch = instance;
}
