import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npx vite dev` here sends /auth and /api to a running `npm run playground` (see ../shared/vite-config.ts).
const PLAYGROUND = process.env.PLAYGROUND_URL ?? 'http://127.0.0.1:5180';

export default defineConfig({
  plugins: [sveltekit()],
  logLevel: 'warn',
  server: { proxy: { '/auth': PLAYGROUND, '/api': PLAYGROUND } },
});
