/**
 * The documentation's recipes as modules. `recipe(name)` reads the code block after
 * `<!-- recipe: name -->` in README.md or in any Markdown file under docs/ (a name is given once in
 * all of them); the Vite plugin serves a recipe named like a file as that file (`import App from
 * 'readme:vue/App.vue'`), so that the real @vitejs/plugin-vue or Svelte plugin compiles it as it
 * would the user's own file. A recipe's relative imports are the recipes beside it, except
 * `./auth.js`: that is test/helpers/recipe-auth.ts, where each test puts its instance.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

// Paths, not `new URL(…, import.meta.url)`: happy-dom's URL is not the one node:fs accepts.
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const RECIPE_AUTH = join(HERE, 'recipe-auth.ts');
const SCHEME = 'readme:';
/** A path that does not exist: recipes are loaded from the Markdown files, never from disk. */
const RECIPE_DIR = join(HERE, '../../.readme-recipes/');

/** README.md and every Markdown file under docs/, where recipes live. */
export function recipeFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.md'))
    .map((path) => join(ROOT, 'docs', path));
  return [join(ROOT, 'README.md'), ...docs.sort()];
}

/** The recipe's code and the file it is in; throws unless exactly one of `files` has it, once. */
export function findRecipe(name: string, files = recipeFiles()): { code: string; file: string } {
  const marker = `<!-- recipe: ${name} -->`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`${marker}\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``, 'g');
  const found = files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(pattern)].map((match) => ({ code: match[1] ?? '', file })),
  );
  const where = found.map(({ file }) => relative(ROOT, file)).join(', ');
  if (found.length === 0) throw new Error(`No recipe "${name}" in README.md or docs/**/*.md`);
  if (found.length > 1) throw new Error(`Recipe "${name}" is given ${found.length} times (${where}): names must be unique`);
  return found[0]!;
}

export function recipe(name: string): string {
  return findRecipe(name).code;
}

export function readmeRecipes(): Plugin {
  return {
    name: 'readme-recipes',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id.startsWith(SCHEME)) return RECIPE_DIR + id.slice(SCHEME.length);
      if (!importer?.startsWith(RECIPE_DIR) || !id.startsWith('./')) return undefined;
      return id === './auth.js' ? RECIPE_AUTH : resolve(dirname(importer), id);
    },
    load(id) {
      if (!id.startsWith(RECIPE_DIR) || id.includes('?')) return undefined;
      const { code, file } = findRecipe(id.slice(RECIPE_DIR.length));
      this.addWatchFile(file);
      return code;
    },
  };
}
