// Runs after tsup (scripts/build.ts). ky is ESM-only, so in `dist/ky.d.cts` its import must say
// `resolution-mode: import`; otherwise a CommonJS TypeScript project without skipLibCheck gets
// TS1479. tsup's declaration bundler drops that attribute from the source, so it is added here.
// Idempotent: a file that already has the attribute is left as it is.
import { readFileSync, writeFileSync } from 'node:fs';

const PLAIN = /^import \{ ([\w, ]+) \} from 'ky';$/m;
const WITH_MODE = /^import type \{ [\w, ]+ \} from 'ky' with \{ 'resolution-mode': 'import' \};$/m;

export function addCjsTypeImportMode(file: string): void {
  const text = readFileSync(file, 'utf8');
  if (WITH_MODE.test(text) && !PLAIN.test(text)) return;
  if (!PLAIN.test(text)) {
    throw new Error("cjs-types: dist/ky.d.cts no longer has the expected `import { … } from 'ky';` line");
  }
  writeFileSync(file, text.replace(PLAIN, "import type { $1 } from 'ky' with { 'resolution-mode': 'import' };"));
}
