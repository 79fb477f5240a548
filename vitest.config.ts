import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';
import { readmeRecipes } from './test/helpers/readme-recipes.js';

/**
 * The real Vue and Svelte compilers for `.vue` and `.svelte` files (the docs' component recipes
 * among them), and `auth-fetch-tabs` as an app imports it, mapped to the source under test (the example
 * apps and check:package test the built package through `exports`).
 */
const frameworks = {
  plugins: [readmeRecipes(), vue(), svelte({ configFile: false })],
  resolve: {
    alias: [
      { find: /^auth-fetch-tabs\/vue$/, replacement: fileURLToPath(new URL('./src/vue.ts', import.meta.url)) },
      { find: /^auth-fetch-tabs$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
};

// Three kinds of tests, one command: fast unit tests in happy-dom, integration tests against real
// loopback servers in Node, and browser tests that drive Debian's Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        ...frameworks,
        // Svelte's `browser` export is its client runtime; without it a component test gets the server one.
        resolve: { ...frameworks.resolve, conditions: ['browser'] },
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'happy-dom', setupFiles: ['test/setup/development.ts'] },
      },
      {
        // The production build's behaviour: no developer-only text, the same errors and guards.
        ...frameworks,
        test: { name: 'production', include: ['test/production/**/*.test.ts'], environment: 'happy-dom', setupFiles: ['test/setup/production.ts'] },
      },
      {
        ...frameworks,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
          setupFiles: ['test/setup/development.ts'],
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
