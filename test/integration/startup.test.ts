/**
 * Start-up: a lone tab refreshes at once when Web Locks can tell it is alone; beside a live,
 * authenticated peer it takes that peer's token without a refresh; without Web Locks it asks and
 * waits up to peerTimeoutMs for the first answer.
 */
import { describe, expect, it } from 'vitest';
import type { AuthFetch } from '../../src/index.js';
import { tokenOf, useTabs } from '../helpers/tabs.js';
import { sleep, timed } from '../helpers/wait.js';

const tabs = useTabs();
const SLOW_PEERS = { peerTimeoutMs: 2_000 };

/** `t`'s start-up settles authenticated (with `accessToken` if given) well within its 2 s peerTimeoutMs, `refreshCalls` made in all. */
async function expectQuickStart(t: AuthFetch, refreshCalls: number, accessToken?: string): Promise<void> {
  const { ms, value } = await timed(t.ready);
  expect(value).toMatchObject(accessToken ? { status: 'authenticated', accessToken } : { status: 'authenticated' });
  expect(tabs.api().refreshCalls).toBe(refreshCalls);
  expect(ms).toBeLessThan(1_000);
}

describe('start-up with Web Locks', () => {
  it('a lone tab does not wait peerTimeoutMs before its refresh', async () => {
    tabs.withLocks();
    await expectQuickStart(tabs.tab(SLOW_PEERS), 1);
  });

  it('beside a live authenticated peer it takes the peer’s token: 0 refresh calls, no waiting', async () => {
    tabs.withLocks();
    const a = tabs.tab(SLOW_PEERS);
    await a.ready;
    await expectQuickStart(tabs.tab(SLOW_PEERS), 1, tokenOf(a));
  });

  it('beside a live authenticated peer, slow Web Locks (a fresh page’s first calls) do not hold it: the peers are asked at once', async () => {
    const locks = tabs.withLocks();
    const a = tabs.tab(SLOW_PEERS);
    await a.ready;
    // From now on every lock call takes LOCKS_MS, as the first ones of a fresh page do in a loaded browser.
    const LOCKS_MS = 1_500;
    const slow = {
      async query() {
        await sleep(LOCKS_MS);
        return locks.query();
      },
      async request(...args: Parameters<typeof locks.request>) {
        await sleep(LOCKS_MS);
        return locks.request(...args);
      },
    };
    Object.defineProperty(globalThis.navigator, 'locks', { value: slow, configurable: true });
    const { ms, value } = await timed(tabs.tab(SLOW_PEERS).ready);
    expect(value).toMatchObject({ status: 'authenticated', accessToken: tokenOf(a) });
    expect(ms).toBeLessThan(LOCKS_MS / 2);
    await sleep(LOCKS_MS + 100); // its turn at the lock comes after all: still no refresh call
    expect(tabs.api().refreshCalls).toBe(1);
  });

  it('a disposed peer no longer counts: the next tab refreshes without waiting for it', async () => {
    tabs.withLocks();
    const a = tabs.tab(SLOW_PEERS);
    await a.ready;
    a.dispose();
    await sleep(10); // the lock manager releases its presence lock (asynchronously, as browsers do)
    await expectQuickStart(tabs.tab(SLOW_PEERS), 2);
  });
});

describe('start-up without Web Locks', () => {
  const PEER_TIMEOUT = 300;

  it('a lone tab asks and waits peerTimeoutMs for an answer, then refreshes', async () => {
    const a = tabs.tab({ peerTimeoutMs: PEER_TIMEOUT });
    const { ms, value } = await timed(a.ready);
    expect(value).toMatchObject({ status: 'authenticated' });
    expect(tabs.api().refreshCalls).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(PEER_TIMEOUT - 20);
  });

  it('beside a peer it takes the first answer’s token, before peerTimeoutMs', async () => {
    const a = tabs.tab({ peerTimeoutMs: PEER_TIMEOUT });
    await a.ready;
    await expectQuickStart(tabs.tab(SLOW_PEERS), 1, tokenOf(a));
  });
});
