import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

// The built package, as Node, workers and SSR load it: importing must do nothing, and creating an
// instance without `window`, `document` or `location` must not throw.
const script = (load: string) => `
  ${load}
  const before = Object.keys(globalThis).sort().join();
  const authFetch = createAuthFetch({ refresh: '/auth/refresh', fetch: async () => new Response(null, { status: 401 }) });
  // Two instances in one server process (two users of an SSR app) must not share a session.
  const other = createAuthFetch({ refresh: 'http://127.0.0.1:9/r', fetch: async () => new Response(null, { status: 401 }) });
  authFetch.ready.then(async (state) => {
    await other.ready;
    authFetch.setTokens({ accessToken: 'user-a' });
    await new Promise((r) => setTimeout(r, 50));
    const leaked = other.getState().status !== 'anonymous';
    authFetch.dispose();
    other.dispose();
    console.log(JSON.stringify({ state: state.status, leaked, globalsUnchanged: before === Object.keys(globalThis).sort().join() }));
  });
`;

describe('the built package in plain Node', () => {
  beforeAll(() => {
    if (!existsSync('dist/index.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  });

  it.each([
    ['ESM', `import { createAuthFetch } from './dist/index.js';`, '--input-type=module'],
    ['CJS', `const { createAuthFetch } = require('./dist/index.cjs');`, '--input-type=commonjs'],
  ])('%s: imports without side effects and runs without a window', (_, load, type) => {
    const out = execFileSync(process.execPath, [type, '-e', script(load)], { encoding: 'utf8', timeout: 10_000 });
    expect(JSON.parse(out)).toEqual({ state: 'anonymous', leaked: false, globalsUnchanged: true });
  });
});
