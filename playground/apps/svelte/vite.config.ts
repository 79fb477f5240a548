import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// Served by the playground server under /svelte/ (`npm run playground`), beside the vanilla page.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/svelte/',
  plugins: [svelte()],
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true },
});
