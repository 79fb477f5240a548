/**
 * A user's Vite `vanilla-ts` app made from the documentation alone: README's quick start as
 * `src/auth.ts`, docs/recipes/vanilla.md's `index.html` and `src/main.ts`, README's
 * `vite.config.ts`, and the tsconfig files of Vite's templates, in a scratch directory outside the
 * repository. `auth-fetch-tabs` is installed in its node_modules as npm would: a copy of the
 * package's `package.json` and built `dist/` (so the types checked and the code served are the
 * published ones); `vite` and `@types` are links to the repository's.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../harness/browser.js';
import { recipe } from './readme-recipes.js';

/** README's proxy target, which a test replaces with the reference server it started. */
export const README_API_URL = 'http://127.0.0.1:5180';

/**
 * create-vite 9.3.0's `template-vanilla-ts/tsconfig.json`, plus `strict`: TypeScript 7 (which the
 * template installs) is strict by default, TypeScript 5.9 is not.
 */
const APP_TSCONFIG = {
  compilerOptions: {
    target: 'es2023',
    module: 'esnext',
    lib: ['ES2023', 'DOM'],
    types: ['vite/client'],
    allowArbitraryExtensions: true,
    skipLibCheck: true,
    moduleResolution: 'bundler',
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    moduleDetection: 'force',
    noEmit: true,
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    erasableSyntaxOnly: true,
    noFallthroughCasesInSwitch: true,
  },
  include: ['src'],
};

/** create-vite 9.3.0's `tsconfig.node.json` (of its templates that have a vite.config.ts), plus `strict`. */
const NODE_TSCONFIG = {
  compilerOptions: {
    target: 'es2023',
    lib: ['ES2023'],
    types: ['node'],
    skipLibCheck: true,
    module: 'nodenext',
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    moduleDetection: 'force',
    noEmit: true,
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    erasableSyntaxOnly: true,
    noFallthroughCasesInSwitch: true,
  },
  include: ['vite.config.ts'],
};

export interface ViteApp {
  dir: string;
  remove(): void;
}

/** Writes the app; `apiUrl` replaces README's proxy target (the reference server on its default port). */
export function writeViteApp(apiUrl = README_API_URL): ViteApp {
  if (!existsSync(join(ROOT, 'dist/index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const viteConfig = recipe('vite.config.ts');
  if (!viteConfig.includes(`'${README_API_URL}'`)) throw new Error(`README's vite.config.ts no longer proxies to '${README_API_URL}'`);

  const dir = mkdtempSync(join(tmpdir(), 'vite-vanilla-ts-'));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('package.json', JSON.stringify({ name: 'my-app', private: true, type: 'module' }, null, 2));
  write('tsconfig.json', JSON.stringify(APP_TSCONFIG, null, 2));
  write('tsconfig.node.json', JSON.stringify(NODE_TSCONFIG, null, 2));
  write('index.html', recipe('vanilla/index.html'));
  write('src/auth.ts', recipe('vanilla/auth.ts'));
  write('src/main.ts', recipe('vanilla/main.ts'));
  write('vite.config.ts', viteConfig.replace(`'${README_API_URL}'`, `'${apiUrl}'`));

  const installed = join(dir, 'node_modules/auth-fetch-tabs');
  mkdirSync(installed, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(installed, 'dist'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules/vite'), join(dir, 'node_modules/vite'), 'dir');
  symlinkSync(join(ROOT, 'node_modules/@types'), join(dir, 'node_modules/@types'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
