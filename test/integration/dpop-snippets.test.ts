/** The DPoP snippets of README.md and docs/dpop.md type-check as an app's TypeScript would (strict), against the package's sources. */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { recipe } from '../helpers/readme-recipes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function typeErrors(name: string): string[] {
  const file = `${ROOT}.tmp/${name}`;
  const code = recipe(name);
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    skipLibCheck: true,
    baseUrl: ROOT,
    paths: { 'auth-fetch-tabs': ['src/index.ts'], 'auth-fetch-tabs/dpop': ['src/dpop.ts'] },
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (path) => (path === file ? code : read(path));
  const exists = host.fileExists.bind(host);
  host.fileExists = (path) => path === file || exists(path);
  const program = ts.createProgram([file, `${ROOT}src/env.d.ts`], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('DPoP snippets', () => {
  it.each(['dpop-readme.ts', 'dpop-docs.ts'])('%s type-checks', (name) => {
    expect(typeErrors(name)).toEqual([]);
  });
});
