/**
 * Outside a page (Node, SSR, workers) an instance sends nothing until it is used: creating one makes
 * no request and posts no message; reading `ready`, the first call or `refresh()` starts it.
 */
import { describe, expect, it } from 'vitest';
import type { AuthFetch } from '../../src/index.js';
import { useTabs } from '../helpers/tabs.js';
import { sleep } from '../helpers/wait.js';

const tabs = useTabs();

/** An instance whose every fetch is recorded, and every message posted on its channel. */
function quietTab(): { t: AuthFetch; urls: string[]; messages: unknown[] } {
  const urls: string[] = [];
  const messages = tabs.listen();
  const t = tabs.tab({
    fetch: (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    },
  });
  return { t, urls, messages };
}

describe('outside a page', () => {
  it('creating an instance sends nothing: no request, no channel message', async () => {
    expect(globalThis.document).toBeUndefined();
    const { t, urls, messages } = quietTab();
    await sleep(50);
    expect(urls).toEqual([]);
    expect(messages).toEqual([]);
    expect(t.getState().status).toBe('unknown');
  });

  it('reading `ready` starts it', async () => {
    const { t, urls } = quietTab();
    expect((await t.ready).status).toBe('authenticated');
    expect(urls).toEqual([`${tabs.api().url}/auth/refresh`]);
  });

  it('the first call starts it, and goes out with the token', async () => {
    const { t, urls } = quietTab();
    expect((await t(`${tabs.api().url}/api/me`)).status).toBe(200);
    expect(urls).toEqual([`${tabs.api().url}/auth/refresh`, `${tabs.api().url}/api/me`]);
  });

  it('the first call beside an authenticated peer waits for start-up and takes the peer’s token: no refresh', async () => {
    const peer = tabs.tab();
    await peer.ready;
    const { t, urls } = quietTab();
    expect((await t(`${tabs.api().url}/api/me`)).status).toBe(200);
    expect(urls).toEqual([`${tabs.api().url}/api/me`]);
    expect(tabs.api().refreshCalls).toBe(1);
  });

  it('refresh() starts it', async () => {
    const { t, urls } = quietTab();
    expect(await t.refresh()).toBe(tabs.api().lastToken);
    expect(urls).toEqual([`${tabs.api().url}/auth/refresh`]);
    expect(t.getState().status).toBe('authenticated');
  });
});

describe('disposed before it started', () => {
  it('reading ready after dispose() settles at once and sends nothing (no refresh left waiting on its timer)', async () => {
    const { t, urls } = quietTab();
    t.dispose();
    const settled = await Promise.race([t.ready.then((state) => state.status), sleep(1_000).then(() => 'still waiting')]);
    expect(settled).toBe('unknown');
    expect(urls).toEqual([]);
  });
});
