// Runs after tsup (`npm run build`). ky is ESM-only, so in `dist/ky.d.cts` its import must say
// `resolution-mode: import`; otherwise a CommonJS TypeScript project without skipLibCheck gets
// TS1479. tsup's declaration bundler drops that attribute from the source, so it is added here.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../dist/ky.d.cts', import.meta.url);
const text = readFileSync(file, 'utf8');
const plain = /^import \{ ([\w, ]+) \} from 'ky';$/m;
if (!plain.test(text)) {
  console.error("cjs-types: dist/ky.d.cts no longer has the expected `import { … } from 'ky';` line");
  process.exit(1);
}
writeFileSync(file, text.replace(plain, "import type { $1 } from 'ky' with { 'resolution-mode': 'import' };"));
