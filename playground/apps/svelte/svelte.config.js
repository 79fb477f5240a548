import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

// `lang="ts"` in components: TypeScript is stripped by Vite's own transform.
export default { preprocess: vitePreprocess() };
