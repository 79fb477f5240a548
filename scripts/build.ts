/**
 * `npm run build` and the build step of `npm run playground`. Several of them may start at the same
 * moment in one checkout (the README's two-instance recipe, a test run next to a playground): they
 * take turns on a lock file, and the one that comes second finds `dist/` already built.
 *
 *   tsx scripts/build.ts             build now (after waiting for a build under way)
 *   tsx scripts/build.ts --if-stale  build only if `dist/` is missing or older than its sources
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addCjsTypeImportMode } from './cjs-types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
// Both in .tmp/ (git-ignored), not in dist/, which is what gets published.
const LOCK = join(ROOT, '.tmp', 'build.lock');
/** Removed before a build and written after it: a `dist/` without it is a build that did not finish. */
const STAMP = join(ROOT, '.tmp', 'build-complete');
const INPUTS = ['src', 'tsup.config.ts', 'scripts/build.ts', 'scripts/cjs-types.ts'];
/** A cold build takes ~5 s on 2 busy cores; a holder silent for this long is not coming back. */
const LOCK_WAIT_MS = 120_000;
const POLL_MS = 100;

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), info.mtimeMs);
}

/** Every file of `dist/` that package.json points at (`main`, `module`, `types`, each `exports` target). */
function expectedOutputs(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const targets: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect([manifest.main, manifest.module, manifest.types, manifest.exports]);
  return targets.filter((target) => target.startsWith('./dist/')).map((target) => join(ROOT, target));
}

/**
 * Stale when the last build did not finish, a source is newer, or a file it wrote is gone: the stamp
 * lives in .tmp/, so `rm -rf dist` alone leaves it behind and must not read as "up to date".
 */
export function isStale(): boolean {
  if (!existsSync(STAMP)) return true;
  if (!expectedOutputs().every((file) => existsSync(file))) return true;
  const newestInput = Math.max(...INPUTS.map((input) => newestMtime(join(ROOT, input))));
  return statSync(STAMP).mtimeMs < newestInput;
}

/** A holder that has not written its pid this long after creating the lock died in between. */
const PID_GRACE_MS = 5_000;

function holderAlive(): boolean {
  let pid: number;
  let createdAt: number;
  try {
    createdAt = statSync(LOCK).mtimeMs;
    pid = Number(readFileSync(LOCK, 'utf8'));
  } catch {
    return false; // released between our attempt and this look: try again
  }
  // An empty lock is one being written this instant, unless it stayed empty.
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - createdAt < PID_GRACE_MS;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A synchronous pause: the build runs synchronously from start to end, like the tools it calls. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `work` while holding the build lock: a file created with O_EXCL (atomic, also across
 * processes), holding the holder's pid so that a lock left by a killed build can be taken over.
 * Between processes there is no event to wait on, so the waiter polls, bounded by LOCK_WAIT_MS.
 */
export function withLock<T>(work: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(LOCK, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!holderAlive()) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`build: ${LOCK} is held by another build for over ${LOCK_WAIT_MS / 1000} s`, { cause: error });
      sleep(POLL_MS);
    }
  }
  try {
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return work();
  } finally {
    unlinkSync(LOCK);
  }
}

function buildNow(): void {
  rmSync(STAMP, { force: true });
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(join(ROOT, 'node_modules/.bin/tsup'), ['--silent'], { cwd: ROOT, stdio: 'inherit' });
  addCjsTypeImportMode(join(DIST, 'ky.d.cts'));
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** Builds `dist/`; waits for a build under way first, so two builds never write it at once. */
export function build(): void {
  withLock(buildNow);
}

/** Builds `dist/` unless it is complete and newer than its sources; true when it built. */
export function buildIfStale(): boolean {
  return withLock(() => {
    if (!isStale()) return false;
    buildNow();
    return true;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mode = process.argv[2];
  if (mode === '--if-stale') {
    const built = buildIfStale();
    console.log(built ? 'build: dist/ rebuilt' : 'build: dist/ is up to date');
  } else if (mode === undefined) {
    build();
  } else {
    console.error(`build: unknown argument ${JSON.stringify(mode)} (expected --if-stale or nothing)`);
    process.exit(2);
  }
}
