// `npm run lint`: typescript-eslint's type-checked rules over every TypeScript file in tsconfig.json
// (src, test, scripts, playground), plain ESLint rules over the JavaScript (the playground page,
// build helpers, these configs). Issue 11 asks for no sequence expressions, no expressions used as
// statements and no unhandled promises: those rules are named below even where a preset has them,
// so that a preset change cannot drop them silently.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The rules the house style (STYLE.md: "write the `if`") asks for in every file, typed or not. */
const statementRules = {
  'no-sequences': ['error', { allowInParentheses: false }],
};

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'reports/', '.stryker-tmp/', 'node_modules/', 'test/browser/artifacts/', '.tmp/',
    // The example apps are type-checked by vue-tsc, svelte-check and nuxi typecheck (npm run typecheck:apps).
    'playground/apps/vue/', 'playground/apps/svelte/', 'playground/apps/shared/', 'playground/apps/sveltekit/', 'playground/apps/nuxt/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // vitest.stryker.config.ts is not in tsconfig.json's `include` (yet): checked with default options.
        projectService: { allowDefaultProject: ['vitest.stryker.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      ...statementRules,
      '@typescript-eslint/no-unused-expressions': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Settings, not exemptions. `_name` marks a parameter kept for its position (a fetch stub's `_input`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // `reject(signal.reason)` is typed `any`: rejecting with the abort reason is what fetch itself does.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true }],
      // Off as noise here. Stubs of fetch and `refresh`, and the memory store beside the Redis one, are
      // `async` to keep a Promise-returning contract, not because they await.
      '@typescript-eslint/require-await': 'off',
      // Objects here are built from closures and never use `this`; the rule cannot tell a method
      // signature in an interface from a closure, so every destructured member is a false alarm.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    // vitest's asymmetric matchers (`expect.any(String)`, `expect.objectContaining`) are typed `any`.
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
    rules: { ...statementRules, 'no-unused-expressions': 'error' },
  },
  {
    // The playground page: a plain ES module in the browser, no type information.
    files: ['playground/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
