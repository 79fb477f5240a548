/**
 * `npm run playground`'s build of the example apps (`npm run build:apps`: Vue, Svelte, SvelteKit,
 * Nuxt), only when an app's sources or the library in dist/ changed since the last one, and under
 * the build lock: two playgrounds started at once in one checkout must not build into the same
 * folders at the same time (the second finds the apps built).
 *
 *   tsx scripts/build-apps.ts --if-stale
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLock } from './build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APPS = join(ROOT, 'playground/apps');
/** Removed before a build and written after it, as for dist/ (scripts/build.ts). */
const STAMP = join(ROOT, '.tmp/apps-built');
/** What the builds write inside playground/apps: not sources. */
const OUTPUTS = new Set(['dist', 'build', '.svelte-kit', '.nuxt', '.output', 'node_modules']);

function newestSource(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const children = readdirSync(path).filter((name) => !OUTPUTS.has(name));
  return children.reduce((newest, name) => Math.max(newest, newestSource(join(path, name))), info.mtimeMs);
}

/** The newest file under `path` (dist/ is an input here, whatever its name). */
function newestFile(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestFile(join(path, name))), info.mtimeMs);
}

const isStale = () => !existsSync(STAMP) || statSync(STAMP).mtimeMs < Math.max(newestSource(APPS), newestFile(join(ROOT, 'dist')));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] !== '--if-stale') {
    console.error('build-apps: expected --if-stale (npm run build:apps builds unconditionally)');
    process.exit(2);
  }
  const built = withLock(() => {
    if (!isStale()) return false;
    rmSync(STAMP, { force: true });
    execFileSync('npm', ['run', '--silent', 'build:apps'], { cwd: ROOT, stdio: 'inherit' });
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    writeFileSync(STAMP, `${new Date().toISOString()}\n`);
    return true;
  });
  console.log(built ? 'build-apps: the apps were built' : 'build-apps: the apps are up to date');
}
