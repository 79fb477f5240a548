// @ts-check
/**
 * `npm run mutate`: StrykerJS over the client core (`src/`), run against the unit and integration
 * tests (vitest.stryker.config.ts). Not part of `npm test`: a full run takes long on 2 cores (see
 * README, "Mutation testing"). One file at a time: `npm run mutate -- --mutate src/tabs.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts' },
  // index.ts only re-exports; the other files are the library.
  mutate: ['src/**/*.ts', '!src/index.ts'],
  // Per-test coverage: each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  reporters: ['html', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  // A mutant in module-level code (a default, a rule table) would rerun every test with the module
  // reloaded, half a minute each; they are left out (Stryker counts them as "ignored").
  ignoreStatic: true,
  // Two cores shared with the rest of the machine.
  concurrency: 2,
  // Results of unchanged code and tests are reused from the previous run (the file is kept under reports/).
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
