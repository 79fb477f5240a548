import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // build/handler.js: a Node request handler, which the playground server mounts under /sveltekit/.
    adapter: adapter(),
    paths: { base: '/sveltekit' },
    // The playground only: the package as this repository builds it (an app installs it instead).
    alias: { 'auth-fetch-tabs': '../../..' },
  },
};
