import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Two `npm run build` or `npm run playground` started at the same moment in one checkout (the
 * README's two-instance recipe does that): both must succeed. Each case runs in a scratch copy of
 * the checkout, so that the dist/ the other tests read is never rebuilt under them.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COPIED = ['src', 'scripts', 'playground', 'package.json', 'tsconfig.json', 'tsup.config.ts'];
const scratch: string[] = [];
const groups: number[] = [];

afterEach(() => {
  for (const pid of groups.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function checkoutCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auth-fetch-build-'));
  scratch.push(dir);
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  stop: () => void;
}

function npmRun(cwd: string, script: string): Run {
  // Its own process group, so that npm, the shell and node below it stop together.
  const child = spawn('npm', ['run', '--silent', script], {
    cwd,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) groups.push(child.pid);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    output: () => output,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    stop: () => process.kill(-(child.pid ?? 0), 'SIGTERM'),
  };
}

/** Resolves with the URL the playground prints, or rejects with its output if it exits first. */
function printedUrl(run: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /auth-fetch playground: (http:\/\/\S+)/.exec(run.output());
      if (match?.[1]) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 50);
    void run.exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`exited with ${code} before printing its URL:\n${run.output()}`));
    });
  });
}

describe('build and start, twice at the same moment in one checkout', () => {
  it('two `npm run build` both succeed and leave one well-formed dist/', { timeout: 120_000 }, async () => {
    const dir = checkoutCopy();
    const runs = [npmRun(dir, 'build'), npmRun(dir, 'build')];
    const codes = await Promise.all(runs.map((run) => run.exited));
    expect(codes, runs.map((run) => run.output()).join('\n')).toEqual([0, 0]);
    const types = readFileSync(join(dir, 'dist/ky.d.cts'), 'utf8');
    expect(types.match(/from 'ky' with \{ 'resolution-mode': 'import' \};/g)).toHaveLength(1);
    expect(types).not.toMatch(/^import \{ [\w, ]+ \} from 'ky';$/m);
  });

  it('two `npm run playground` both start and serve the library, built once', { timeout: 120_000 }, async () => {
    const dir = checkoutCopy();
    const runs = [npmRun(dir, 'playground'), npmRun(dir, 'playground')];
    const urls = await Promise.all(runs.map(printedUrl));
    for (const url of urls) expect((await fetch(`${url}/lib/index.js`)).status).toBe(200);
    const outputs = runs.map((run) => run.output()).join('\n');
    expect(outputs.match(/build: dist\/ rebuilt/g)).toHaveLength(1);
    expect(outputs.match(/build: dist\/ is up to date/g)).toHaveLength(1);
    for (const run of runs) run.stop();
    await Promise.all(runs.map((run) => run.exited));
  });

  it('takes over the lock of a build that was killed', { timeout: 120_000 }, async () => {
    const dir = checkoutCopy();
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    mkdirSync(join(dir, '.tmp'));
    writeFileSync(join(dir, '.tmp/build.lock'), String(gone));
    const run = npmRun(dir, 'build');
    expect(await run.exited, run.output()).toBe(0);
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(dir, '.tmp/build.lock'))).toBe(false);
  });
});

describe('build --if-stale', () => {
  it('rebuilds when dist/ was removed but the build stamp is left', { timeout: 120_000 }, async () => {
    const dir = checkoutCopy();
    const ifStale = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--if-stale'], { cwd: dir, encoding: 'utf8' });
    expect(ifStale().stdout).toContain('build: dist/ rebuilt');
    expect(ifStale().stdout).toContain('build: dist/ is up to date');
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    const again = ifStale();
    expect(again.stdout, again.stderr).toContain('build: dist/ rebuilt');
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);
    rmSync(join(dir, 'dist/vue.cjs'));
    expect(ifStale().stdout).toContain('build: dist/ rebuilt');
  });
});
