import type { Plugin, PluginOption, UserConfig } from 'vite';

/**
 * Where `npx vite playground/apps/<name>` (the dev server, with hot updates) sends `/auth`, `/api`
 * and `/demo` ("Steal the token"): a running `npm run playground`. Cookies stay those of the dev server's origin; the
 * playground must allow that origin (`ALLOWED_ORIGINS`, see README).
 */
const PLAYGROUND = process.env.PLAYGROUND_URL ?? 'http://127.0.0.1:5180';

/**
 * Builds print warnings only (`npm run playground` builds the apps before its own lines), while the
 * dev server keeps Vite's default level, whose URL line is the only sign that it is up. A
 * `--logLevel` given on the command line wins.
 */
const quietBuilds = (): Plugin => ({
  name: 'quiet-builds',
  config: (config, { command }) => (command === 'build' && config.logLevel === undefined ? { logLevel: 'warn' } : undefined),
});

/** One app's Vite config: built into its dist/ and served by the playground under /<name>/. */
export function appConfig(name: string, root: string, plugin: PluginOption): UserConfig {
  return {
    root,
    base: `/${name}/`,
    plugins: [plugin, quietBuilds()],
    build: { outDir: 'dist', emptyOutDir: true },
    server: { proxy: { '/auth': PLAYGROUND, '/api': PLAYGROUND, '/demo': PLAYGROUND } },
  };
}
