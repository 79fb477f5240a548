import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The test projects `npm run mutate` runs against each mutant: unit and integration (fake and
// loopback servers in Node). Browser tests are left out: they load the built `dist/`, which
// Stryker's mutants never reach, and a Chromium per mutant would not fit on 2 cores.
const MUTATION_PROJECTS = new Set(['unit', 'integration']);

const projects = (base.test?.projects ?? []).filter(
  (project) => typeof project === 'object' && 'test' in project && MUTATION_PROJECTS.has(project.test?.name as string),
);
if (projects.length !== MUTATION_PROJECTS.size) throw new Error('vitest.stryker.config.ts: vitest.config.ts no longer has the unit and integration projects');

export default defineConfig({ test: { projects } });
