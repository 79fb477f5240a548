/**
 * docs/recipes/sveltekit.md and nuxt.md are the example apps' own files, quoted: every block after
 * `<!-- file: path -->` must equal that file, so the recipes are exactly the code that
 * test/browser/ssr-apps.test.ts builds and drives in Chromium.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../harness/browser';

function quotedFiles(recipe: string): { path: string; code: string }[] {
  const text = readFileSync(join(ROOT, 'docs/recipes', recipe), 'utf8');
  return [...text.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)].map(([, path = '', code = '']) => ({ path, code }));
}

describe.each([
  ['sveltekit.md', 'playground/apps/sveltekit/'],
  ['nuxt.md', 'playground/apps/nuxt/'],
])('docs/recipes/%s', (recipe, appDir) => {
  const files = quotedFiles(recipe);

  it('quotes the app it describes', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const { path } of files) expect(path.startsWith(appDir)).toBe(true);
  });

  it.each(files.map((f) => [f.path, f.code]))('%s is the file as it is', (path, code) => {
    expect(code).toBe(readFileSync(join(ROOT, path), 'utf8').replace(/\n+$/, ''));
  });
});
