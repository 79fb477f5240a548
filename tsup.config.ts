import { defineConfig, type Options } from 'tsup';

/**
 * Two builds of the core. The development one (the `default` and `development` export conditions:
 * Node, tests, Vite's dev server) says in full what went wrong; the production one (the `production`
 * condition, which Vite and webpack resolve in production builds) leaves developer-only text out:
 * option validation beyond the option's name, console advice on a misconfiguration, long messages.
 * Both throw and reject with the same error classes.
 */
const common: Options = {
  format: ['esm', 'cjs'],
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  // Peers: `auth-fetch-tabs/ky` imports ky for types only, `auth-fetch-tabs/vue` imports vue,
  // `auth-fetch-tabs/dpop` imports dpop; never bundled.
  external: ['ky', 'vue', 'dpop'],
};

export default defineConfig([
  {
    ...common,
    // `ky`, `vue` and `dpop` are entries of their own so that the core never carries them; see src/ky.ts, src/vue.ts, src/dpop.ts.
    entry: { index: 'src/index.ts', ky: 'src/ky.ts', vue: 'src/vue.ts', dpop: 'src/dpop.ts' },
    dts: true,
    // scripts/build.ts empties dist/ first: the two builds run at once, and tsup's `clean` would race.
    define: { __DEV__: 'true' },
  },
  {
    ...common,
    entry: { 'index.production': 'src/index.ts' },
    define: { __DEV__: 'false' },
    // Folds the `__DEV__` branches away, so that the shipped file carries none of their text (still readable: no renaming).
    esbuildOptions(options) {
      options.minifySyntax = true;
    },
  },
]);
