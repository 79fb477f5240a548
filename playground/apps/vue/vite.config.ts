import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { appConfig } from '../shared/vite-config.js';

export default defineConfig(appConfig('vue', fileURLToPath(new URL('.', import.meta.url)), vue()));
