/**
 * The Nuxt example app, server-rendered. `nuxi build` leaves a Node request handler in
 * .output/server/index.mjs (Nitro's `node-listener` preset), which the playground server mounts
 * under /nuxt/, beside /auth and /api on the same origin.
 */
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  ssr: true,
  devtools: { enabled: false },
  telemetry: false,
  app: {
    baseURL: '/nuxt/',
    head: { title: 'auth-fetch · Nuxt', link: [{ rel: 'icon', href: 'data:,' }] },
  },
  // The playground's look, shared with the other example apps.
  css: ['~~/../shared/style.css'],
  // noExternals: one self-contained bundle; traced node_modules would pick Vue's development build
  // wherever NODE_ENV is not "production" (under vitest it is "test") and miss its files.
  nitro: { preset: 'node-listener', serveStatic: true, noExternals: true },
  // Vue reports hydration mismatches in detail in production builds too, so the tests can see one.
  vite: { define: { __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'true' } },
});
