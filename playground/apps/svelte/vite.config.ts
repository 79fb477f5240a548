import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { appConfig } from '../shared/vite-config.js';

export default defineConfig(appConfig('svelte', fileURLToPath(new URL('.', import.meta.url)), svelte()));
