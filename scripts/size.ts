/**
 * Size budget: the core entry (`dist/index.js`, tabs included) bundled with esbuild, minified and
 * gzipped at level 9, next to ky bundled the same way. Exits 1 above the budget.
 * Run after `npm run build`: `npm run size`. `--no-growth` (what `npm test` runs) exits 1 only
 * above CEILING_BYTES; it still prints how far the core is from the budget.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Bytes of min+gzip the core may take (issue 5). */
export const BUDGET_BYTES = 3_000;
/**
 * The core does not fit the budget with the features issues 2 and 3 require (see README, "Size").
 * Until that is decided, CI fails on growth past this ceiling; raising it takes a commit that says
 * why. 5,300 B → 5,900 B on 2026-11-29 for 17 defect fixes found by probing the API (eras, one-shot
 * bodies, checks of options, tokens and refresh answers on arrival, dispose, one listener per
 * caller signal, `signal: null`): +585 B in all.
 */
export const CEILING_BYTES = 5_900;
const root = fileURLToPath(new URL('..', import.meta.url));
export const CORE_ENTRY = `${root}dist/index.js`;

/**
 * Min+gzip bytes of an ESM entry file bundled for browsers; its exports are kept, so the whole API
 * counts. `external` packages are left out: the app has them anyway (vue for `auth-fetch/vue`).
 */
export async function minGzipBytes(entry: string, external: string[] = []): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    external,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
}

export async function sizes(): Promise<{ core: number; kyEntry: number; vueEntry: number; ky: number }> {
  if (!existsSync(CORE_ENTRY)) throw new Error(`${CORE_ENTRY} is missing: run \`npm run build\` first`);
  const [core, kyEntry, vueEntry, ky] = await Promise.all([
    minGzipBytes(CORE_ENTRY),
    minGzipBytes(`${root}dist/ky.js`),
    minGzipBytes(`${root}dist/vue.js`, ['vue']),
    minGzipBytes(fileURLToPath(import.meta.resolve('ky'))),
  ]);
  return { core, kyEntry, vueEntry, ky };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const noGrowth = process.argv.includes('--no-growth');
  const { core, kyEntry, vueEntry, ky } = await sizes();
  const verdict = core <= BUDGET_BYTES ? `within budget ${BUDGET_BYTES} B` : `OVER budget ${BUDGET_BYTES} B by ${core - BUDGET_BYTES} B`;
  console.log(`auth-fetch     (dist/index.js) ${core} B min+gzip  ${verdict}`);
  console.log(`auth-fetch/ky  (dist/ky.js)    ${kyEntry} B min+gzip  (not in the budget: only ky users load it)`);
  console.log(`auth-fetch/vue (dist/vue.js)   ${vueEntry} B min+gzip  (not in the budget: only Vue users load it; vue itself not counted)`);
  console.log(`ky                             ${ky} B min+gzip  (same esbuild + gzip -9)`);
  const limit = noGrowth ? CEILING_BYTES : BUDGET_BYTES;
  if (noGrowth) console.log(`no-growth check: ${core} B against the ceiling of ${CEILING_BYTES} B: ${core <= CEILING_BYTES ? 'pass' : 'FAIL'}`);
  process.exitCode = core <= limit ? 0 : 1;
}
