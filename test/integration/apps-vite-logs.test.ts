/**
 * README's `npx vite playground/apps/vue` prints the dev server's URL (it looked hung when the
 * shared config silenced everything below warnings), while `vite build` of the apps stays quiet.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { resolveConfig } from 'vite';
import { afterEach, describe, expect, it } from 'vitest';
import { appDir } from '../../playground/apps/builds';

const VITE_CLI = join(createRequire(import.meta.url).resolve('vite/package.json'), '../bin/vite.js');
/** The apps whose config is shared/vite-config.ts's `appConfig` (an SSR app may bring its own). */
const SHARED_CONFIG_APPS = ['vue', 'svelte'] as const;
const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

describe("the example apps' Vite config", () => {
  it.each(SHARED_CONFIG_APPS)('%s: the dev server logs at info level, a build at warn', async (name) => {
    const configFile = join(appDir(name), 'vite.config.ts');
    expect((await resolveConfig({ configFile }, 'serve')).logLevel ?? 'info').toBe('info');
    expect((await resolveConfig({ configFile }, 'build')).logLevel).toBe('warn');
    expect((await resolveConfig({ configFile, logLevel: 'info' }, 'build')).logLevel).toBe('info'); // --logLevel wins
  });

  it('`npx vite playground/apps/vue --port 0` prints the URL it serves', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [VITE_CLI, 'playground/apps/vue', '--port', '0', '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stops.push(() => child.kill('SIGTERM'));
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        // Vite colours its output when it can; strip the escapes before reading the line.
        const line = /Local:\s+(http:\/\/\S+)/.exec(stripVTControlCharacters(output));
        if (line?.[1]) resolve(line[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`vite exited (${code}) without printing a URL:\n${output}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/vue\/$/);
    expect((await fetch(url)).status).toBe(200);
  });
});
