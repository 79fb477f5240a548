/** The misconfiguration report is for a page's console: a server process (SSR, Node) logs nothing. */
import { expect, it, vi } from 'vitest';
import { createAuthFetch } from '../../src/index.js';

it('outside a page a 403 refresh is reported through the state only, not the console', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const authFetch = createAuthFetch({
    refresh: 'https://api.test/auth/refresh',
    fetch: async () => Response.json({ error: 'origin_not_allowed' }, { status: 403 }),
  });
  expect(await authFetch.ready).toEqual({ status: 'anonymous', refused: { status: 403, code: 'origin_not_allowed' } });
  expect(warn).not.toHaveBeenCalled();
  authFetch.dispose();
  warn.mockRestore();
});
