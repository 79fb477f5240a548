/**
 * The claim protocol (tabs without Web Locks): a claim left by a tab that vanished without a goodbye
 * holds the others up for its lifetime (refreshTimeoutMs + 2 × peerTimeoutMs) at most; a goodbye
 * frees them at once.
 */
import { describe, expect, it } from 'vitest';
import { useTabs } from '../helpers/tabs.js';
import { sleep, timed } from '../helpers/wait.js';

const tabs = useTabs();
const OPTIONS = { refreshTimeoutMs: 300, peerTimeoutMs: 50 };
const CLAIM_LIFETIME = OPTIONS.refreshTimeoutMs + 2 * OPTIONS.peerTimeoutMs;

/** A tab's start-up (its refresh) after a ghost claimed the refresh; `goodbye` ends the ghost's claim properly first. */
async function startAfterGhostClaim(goodbye?: 'release' | 'bye') {
  const t = tabs.tab(OPTIONS);
  tabs.post({ t: 'claim', at: Date.now(), from: 'ghost' });
  if (goodbye) tabs.post({ t: goodbye, from: 'ghost' });
  await sleep(10); // delivered before the tab claims
  const outcome = await timed(Promise.race([t.ready, sleep(3_000).then(() => 'still waiting')]));
  return { ...outcome, refreshCalls: tabs.api().refreshCalls };
}

describe('claims without Web Locks', () => {
  it('a vanished tab’s claim delays the next refresh by its lifetime at most, and that refresh succeeds', async () => {
    const { ms, value, refreshCalls } = await startAfterGhostClaim();
    expect(value).toMatchObject({ status: 'authenticated' });
    expect(refreshCalls).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(CLAIM_LIFETIME - 60); // it did wait for the claim
    expect(ms).toBeLessThan(CLAIM_LIFETIME + 300);
  });

  it.each(['release', 'bye'] as const)('a claim ended by a %s message delays nothing', async (goodbye) => {
    const { ms, value } = await startAfterGhostClaim(goodbye);
    expect(value).toMatchObject({ status: 'authenticated' });
    expect(ms).toBeLessThan(CLAIM_LIFETIME - 100);
  });
});
