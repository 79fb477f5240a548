/**
 * The vanilla page of the documentation type-checks as a user's Vite `vanilla-ts` app (README's
 * quick start, docs/recipes/vanilla.md, README's vite.config.ts), with the template's strict
 * tsconfig files and this repository's TypeScript, against the built package's types.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeViteApp, type ViteApp } from '../helpers/vite-app.js';

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** tsc's diagnostics for one tsconfig of the app ('' when it type-checks). */
function typeCheck(app: ViteApp, tsconfig: string): string {
  try {
    execFileSync(process.execPath, [TSC, '-p', tsconfig, '--pretty', 'false'], { cwd: app.dir, encoding: 'utf8', timeout: 60_000 });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe("the documentation's Vite vanilla-ts app", () => {
  let app: ViteApp;
  beforeAll(() => {
    app = writeViteApp();
  });
  afterAll(() => app?.remove());

  it('src/auth.ts and src/main.ts type-check with the template tsconfig.json (strict) against dist/', { timeout: 60_000 }, () => {
    expect(typeCheck(app, 'tsconfig.json')).toBe('');
  });

  it("vite.config.ts (the dev server's proxy) type-checks with the template tsconfig.node.json", { timeout: 60_000 }, () => {
    expect(typeCheck(app, 'tsconfig.node.json')).toBe('');
  });
});
