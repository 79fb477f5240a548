/**
 * README's recipes as modules. `recipe(name)` reads the code block after `<!-- recipe: name -->`;
 * the Vite plugin serves a recipe named like a file as that file (`import App from
 * 'readme:vue/App.vue'`), so that the real @vitejs/plugin-vue or Svelte plugin compiles it as it
 * would the user's own file. A recipe's relative imports are the recipes beside it, except
 * `./auth.js`: that is test/helpers/recipe-auth.ts, where each test puts its instance.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

// Paths, not `new URL(…, import.meta.url)`: happy-dom's URL is not the one node:fs accepts.
const HERE = dirname(fileURLToPath(import.meta.url));
const README = join(HERE, '../../README.md');
const RECIPE_AUTH = join(HERE, 'recipe-auth.ts');
const SCHEME = 'readme:';
/** A path that does not exist: recipes are loaded from README.md, never from disk. */
const RECIPE_DIR = join(HERE, '../../.readme-recipes/');

export function recipe(name: string): string {
  const readme = readFileSync(README, 'utf8');
  const marker = `<!-- recipe: ${name} -->`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`${marker}\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no recipe "${name}"`);
  return match[1];
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
      this.addWatchFile(README);
      return recipe(id.slice(RECIPE_DIR.length));
    },
  };
}
