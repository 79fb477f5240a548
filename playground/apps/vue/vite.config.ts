import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Served by the playground server under /vue/ (`npm run playground`), beside the vanilla page.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/vue/',
  plugins: [vue()],
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true },
});
