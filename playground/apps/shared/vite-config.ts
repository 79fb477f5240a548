import type { PluginOption, UserConfig } from 'vite';

/**
 * Where `npx vite playground/apps/<name>` (the dev server, with hot updates) sends `/auth` and
 * `/api`: a running `npm run playground`. Cookies stay those of the dev server's origin; the
 * playground must allow that origin (`ALLOWED_ORIGINS`, see README).
 */
const PLAYGROUND = process.env.PLAYGROUND_URL ?? 'http://127.0.0.1:5180';

/** One app's Vite config: built into its dist/ and served by the playground under /<name>/. */
export function appConfig(name: string, root: string, plugin: PluginOption): UserConfig {
  return {
    root,
    base: `/${name}/`,
    plugins: [plugin],
    logLevel: 'warn',
    build: { outDir: 'dist', emptyOutDir: true },
    server: { proxy: { '/auth': PLAYGROUND, '/api': PLAYGROUND } },
  };
}
