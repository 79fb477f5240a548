import { defineConfig } from 'tsup';

export default defineConfig({
  // `ky` and `vue` are entries of their own so that the core never carries them; see src/ky.ts, src/vue.ts.
  entry: { index: 'src/index.ts', ky: 'src/ky.ts', vue: 'src/vue.ts', dpop: 'src/dpop.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  // Peers: `auth-fetch-tabs/ky` imports ky for types only, `auth-fetch-tabs/vue` imports vue,
  // `auth-fetch-tabs/dpop` imports dpop; never bundled.
  external: ['ky', 'vue', 'dpop'],
});
