import { defineConfig } from 'tsup';

export default defineConfig({
  // `ky` is its own entry so that the core never carries it; see src/ky.ts.
  entry: { index: 'src/index.ts', ky: 'src/ky.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  sourcemap: false,
  // A peer of `auth-fetch/ky`, imported for types only; never bundled.
  external: ['ky'],
});
