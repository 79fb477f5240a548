/**
 * Size: the core entry as an app's production build ships it (`dist/index.production.js`, tabs
 * included) and its development build, bundled with esbuild, minified and gzipped at level 9, next
 * to ky and ofetch bundled the same way. Exits 1 when either grows past its ceiling.
 * Run after `npm run build`: `npm run size` (`npm test` runs it too). The 3,000 B budget of issue 5
 * was withdrawn by issue 11: below the ceiling, readability wins over bytes.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * The most the core may take, as an app's production build ships it (the `production` export
 * condition: dist/index.production.js); raising it takes a commit that says why.
 * - 5,300 → 5,900 B (2026-11-29): 17 defect fixes found by probing the API (+585 B).
 * - 5,900 → 9,000 B (2026-11-30): the features of issues 11 and 12.
 * - 9,000 → 8,450 B (2026-12-06, core v3): one protocol (no claims, no goodbyes), one parser, one
 *   wait, one send, and developer-only text in the development build only took the core to
 *   7,797 B; then came issue 16's "no function over 80 lines" (+~290 B: the refresher's steps, the
 *   session's state and signal, the tab protocol's hearing and asking as functions with explicit
 *   parameters), `keepFresh` (issue 19, +~150 B) and the per-call fast path. The goal was 7,000 B;
 *   what stands between: docs/benchmarks.md, "Size".
 * - 8,450 → 8,600 B (2026-12-07): start-up asks the peers while it takes the lock (+~30 B: beside an
 *   authenticated tab `ready` no longer waits for a fresh page's first Web Locks calls), and the
 *   signed-in mark that stands in for a deleted hint cookie (issue 18, +~140 B).
 */
export const CEILING_BYTES = 8_600;
/**
 * The development build (the `default` condition: Node, tests, dev servers) carries the messages:
 * 9,000 → 9,550 B (2026-12-06) for the same additions, → 9,700 B (2026-12-07) for the two above;
 * its own text (the misconfiguration advice, ~370 B; what each option expects, ~240 B; the long
 * error messages) is what it is for.
 */
export const DEV_CEILING_BYTES = 9_700;
const root = fileURLToPath(new URL('..', import.meta.url));
export const CORE_ENTRY = `${root}dist/index.production.js`;
export const CORE_DEV_ENTRY = `${root}dist/index.js`;

/**
 * Min+gzip bytes of an ESM entry file bundled for browsers; its exports are kept, so the whole API
 * counts. `external` packages are left out: the app has them anyway (vue for `auth-fetch-tabs/vue`).
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

export async function sizes(): Promise<{ core: number; coreDev: number; kyEntry: number; vueEntry: number; dpopEntry: number; dpopOwn: number; ky: number; ofetch: number }> {
  if (!existsSync(CORE_ENTRY)) throw new Error(`${CORE_ENTRY} is missing: run \`npm run build\` first`);
  const [core, coreDev, kyEntry, vueEntry, dpopEntry, dpopOwn, ky, ofetch] = await Promise.all([
    minGzipBytes(CORE_ENTRY),
    minGzipBytes(CORE_DEV_ENTRY),
    minGzipBytes(`${root}dist/ky.js`),
    minGzipBytes(`${root}dist/vue.js`, ['vue']),
    // Counted with panva's dpop bundled in (the app ships it only for this entry), and without.
    minGzipBytes(`${root}dist/dpop.js`),
    minGzipBytes(`${root}dist/dpop.js`, ['dpop']),
    minGzipBytes(fileURLToPath(import.meta.resolve('ky'))),
    // ofetch's browser build (its Node build pulls node:http in).
    minGzipBytes(`${root}node_modules/ofetch/dist/index.mjs`),
  ]);
  return { core, coreDev, kyEntry, vueEntry, dpopEntry, dpopOwn, ky, ofetch };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { core, coreDev, kyEntry, vueEntry, dpopEntry, dpopOwn, ky, ofetch } = await sizes();
  const verdict = (bytes: number, ceiling: number) =>
    bytes <= ceiling ? `within the ceiling of ${ceiling} B` : `OVER the ceiling of ${ceiling} B by ${bytes - ceiling} B`;
  console.log(`auth-fetch-tabs, production  (dist/index.production.js) ${core} B min+gzip  ${verdict(core, CEILING_BYTES)}; ${(core / ky).toFixed(2)}× ky, ${(core / ofetch).toFixed(2)}× ofetch`);
  console.log(`auth-fetch-tabs, development (dist/index.js)            ${coreDev} B min+gzip  ${verdict(coreDev, DEV_CEILING_BYTES)}`);
  console.log(`auth-fetch-tabs/ky   (dist/ky.js)   ${kyEntry} B min+gzip  (apart from the core: only ky users load it)`);
  console.log(`auth-fetch-tabs/vue  (dist/vue.js)  ${vueEntry} B min+gzip  (apart from the core: only Vue users load it; vue itself not counted)`);
  console.log(`auth-fetch-tabs/dpop (dist/dpop.js) ${dpopEntry} B min+gzip  (apart from the core: only DPoP users load it; dpop counted, ${dpopOwn} B without it)`);
  console.log(`ky      ${ky} B min+gzip  (same esbuild + gzip -9)`);
  console.log(`ofetch  ${ofetch} B min+gzip  (same esbuild + gzip -9)`);
  process.exitCode = core <= CEILING_BYTES && coreDev <= DEV_CEILING_BYTES ? 0 : 1;
}
