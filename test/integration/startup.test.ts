/**
 * Start-up: a lone tab refreshes at once when Web Locks can tell it is alone; beside a live,
 * authenticated peer it takes that peer's token without a refresh; without Web Locks it asks and
 * waits up to peerTimeoutMs for the first answer.
 */
import { describe, expect, it } from 'vitest';
import { tokenOf, useTabs } from '../helpers/tabs.js';
import { sleep, timed } from '../helpers/wait.js';

const tabs = useTabs();

describe('start-up with Web Locks', () => {
  it('a lone tab does not wait peerTimeoutMs before its refresh', async () => {
    tabs.withLocks();
    const a = tabs.tab({ peerTimeoutMs: 2_000 });
    const { ms, value } = await timed(a.ready);
    expect(value).toMatchObject({ status: 'authenticated' });
    expect(tabs.api().refreshCalls).toBe(1);
    expect(ms).toBeLessThan(1_000);
  });

  it('beside a live authenticated peer it takes the peer’s token: 0 refresh calls, no waiting', async () => {
    tabs.withLocks();
    const a = tabs.tab({ peerTimeoutMs: 2_000 });
    await a.ready;
    const b = tabs.tab({ peerTimeoutMs: 2_000 });
    const { ms, value } = await timed(b.ready);
    expect(value).toMatchObject({ status: 'authenticated', accessToken: tokenOf(a) });
    expect(tabs.api().refreshCalls).toBe(1);
    expect(ms).toBeLessThan(1_000);
  });

  it('a disposed peer no longer counts: the next tab refreshes without waiting for it', async () => {
    tabs.withLocks();
    const a = tabs.tab({ peerTimeoutMs: 2_000 });
    await a.ready;
    a.dispose();
    await sleep(10); // the lock manager releases its presence lock (asynchronously, as browsers do)
    const b = tabs.tab({ peerTimeoutMs: 2_000 });
    const { ms, value } = await timed(b.ready);
    expect(value).toMatchObject({ status: 'authenticated' });
    expect(tabs.api().refreshCalls).toBe(2);
    expect(ms).toBeLessThan(1_000);
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
    const b = tabs.tab({ peerTimeoutMs: 2_000 });
    const { ms, value } = await timed(b.ready);
    expect(value).toMatchObject({ status: 'authenticated', accessToken: tokenOf(a) });
    expect(tabs.api().refreshCalls).toBe(1);
    expect(ms).toBeLessThan(1_000);
  });
});
