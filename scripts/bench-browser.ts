/**
 * The per-call overhead of bench-overhead.ts, measured in Debian's Chromium: the browser is where
 * auth-fetch runs, and its AbortSignal, URL and Headers cost differently from Node's. The module is
 * bundled with esbuild (ky and ofetch included) into a blank page; the library comes from `src/`.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from '../harness/browser.js';
import type { Spread } from './bench-overhead.js';

export async function browserOverhead(rounds: number, callsPerRound: number): Promise<Record<string, Spread>> {
  const bundle = await build({
    stdin: { contents: "import { overhead } from './bench-overhead.ts'; globalThis.overhead = overhead;", resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    // What apps ship: the production build.
    define: { __DEV__: 'false' },
    write: false,
    logLevel: 'silent',
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    // A string, not a function: tsx would compile a function with helpers the page does not have.
    return await page.evaluate<Record<string, Spread>>(`globalThis.overhead(${rounds}, ${callsPerRound})`);
  } finally {
    await browser.close();
  }
}
