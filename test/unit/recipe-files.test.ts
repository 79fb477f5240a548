/** Where the recipe tests find a recipe: README.md or any Markdown file under docs/, one name given once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findRecipe, recipeFiles } from '../helpers/readme-recipes.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Markdown files with the given texts, in a scratch directory. */
function markdown(...texts: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'recipes-'));
  dirs.push(dir);
  return texts.map((text, i) => {
    const file = join(dir, `${i}.md`);
    writeFileSync(file, text);
    return file;
  });
}

const block = (name: string, code: string) => `<!-- recipe: ${name} -->\n\`\`\`ts\n${code}\n\`\`\`\n`;

describe('recipe files', () => {
  it('are README.md and the Markdown files under docs/, recipes/ included', () => {
    const files = recipeFiles().map((file) => file.replace(/\\/g, '/'));
    expect(files[0]).toMatch(/\/README\.md$/);
    expect(files).toContainEqual(expect.stringMatching(/\/docs\/recipes\/vanilla\.md$/));
  });

  it('finds a recipe in whichever file has it', () => {
    const files = markdown('# a\n', block('x.ts', 'export const x = 1;'));
    expect(findRecipe('x.ts', files)).toEqual({ code: 'export const x = 1;\n', file: files[1] });
  });

  it('refuses a name given twice, in one file or two, naming where', () => {
    const [twiceInOne] = markdown(block('x.ts', '1') + block('x.ts', '2'));
    expect(() => findRecipe('x.ts', [twiceInOne!])).toThrow(/Recipe "x.ts" is given 2 times/);
    const inTwo = markdown(block('x.ts', '1'), block('x.ts', '2'));
    expect(() => findRecipe('x.ts', inTwo)).toThrow(/given 2 times \(.*0\.md, .*1\.md\)/);
  });

  it('refuses a name given nowhere', () => {
    expect(() => findRecipe('missing.ts', markdown('# nothing\n'))).toThrow(/No recipe "missing.ts"/);
  });
});
