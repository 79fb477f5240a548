import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The example apps in playground/apps/<name>/, each built by Vite (`npm run build:apps`) into its
 * own dist/ and served by the playground server under /<name>/, beside the vanilla page.
 */
export const APP_NAMES = ['vue', 'svelte'] as const;
export type AppName = (typeof APP_NAMES)[number];

export const appDir = (name: AppName): string => fileURLToPath(new URL(`./${name}/`, import.meta.url));
const buildDir = (name: AppName): string => `${appDir(name)}dist/`;

/**
 * For a decoded URL path under an app's prefix, the root to serve from and the path inside it
 * (`/vue/` → its index.html, `/vue/assets/x.js` → `assets/x.js`); undefined for any other path.
 * A path whose last segment has no extension is one of the app's own routes (Vue Router's
 * `/vue/login`): its index.html, so that a reload or a link there opens the app.
 * The caller checks the relative path as it checks every static path.
 */
export function appStaticFile(decoded: string): [root: string, relative: string] | undefined {
  const name = APP_NAMES.find((n) => decoded === `/${n}` || decoded.startsWith(`/${n}/`));
  if (!name) return undefined;
  const relative = decoded.slice(name.length + 2);
  const lastSegment = relative.slice(relative.lastIndexOf('/') + 1);
  return [buildDir(name), lastSegment.includes('.') ? relative : 'index.html'];
}

/** The lines `npm run playground` prints about the apps: where each one is, or that it is not built. */
export function appLines(url: string): string[] {
  return APP_NAMES.map((name) =>
    existsSync(`${buildDir(name)}index.html`) ? `  ${name} app: ${url}/${name}/` : `  ${name} app: not built (npm run build:apps)`,
  );
}
