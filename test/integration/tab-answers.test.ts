/**
 * How long a tab waits for its peers' answers at start-up (src/tabs.ts, `ask`): with Web Locks,
 * until every live peer it counted answered, or one answered with a token that will do; without
 * them, until the first answer. Never for a peer that is not there: a lone tab refreshes at once.
 * Each tab here is patient (`peerTimeoutMs` of 5 s), so a tab that waits for nothing shows as a
 * start-up that takes seconds instead of milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { jwtFor } from '../../harness/jwt.js';
import { rawToken, tokenOf, useTabs } from '../helpers/tabs.js';
import { sleep, timed } from '../helpers/wait.js';

const tabs = useTabs();
const PATIENT = { peerTimeoutMs: 5_000 };
/** Far below the patience above, far above a start-up that waits for nobody (shared machine). */
const PROMPT_MS = 2_500;

/** A token a peer holds that will not do: it expired a while ago. */
const expired = () => rawToken(jwtFor(Date.now() - 400_000, 300));

/** Web Locks whose `query()` answers only after `ms`: the peers' answers come before the count. */
function slowToCount(ms: number) {
  const locks = tabs.withLocks();
  const query = locks.query;
  locks.query = () => sleep(ms).then(query);
  return locks;
}

/** A new patient tab starts promptly, authenticated, after `refreshCalls` refresh calls in all. */
async function expectPromptStart(refreshCalls: number): Promise<void> {
  const { ms, value } = await timed(tabs.tab(PATIENT).ready);
  expect(value).toMatchObject({ status: 'authenticated' });
  expect(ms).toBeLessThan(PROMPT_MS);
  expect(tabs.api().refreshCalls).toBe(refreshCalls);
}

/** Beside a peer with an expired token and a slower one with a good token, a new tab takes the good one without a refresh. */
async function expectSecondPeersToken(locks: ReturnType<typeof tabs.withLocks>): Promise<void> {
  const good = rawToken(jwtFor(Date.now(), 300));
  tabs.peer({ locks, token: expired() });
  tabs.peer({ locks, token: good, delayMs: 150 });
  const a = tabs.tab(PATIENT);
  expect((await a.ready).status).toBe('authenticated');
  expect(tokenOf(a)).toBe(good.accessToken);
  expect(tabs.api().refreshCalls).toBe(0);
}

describe('with Web Locks: the peers counted are the peers waited for', () => {
  it('a lone tab waits for no answer: it refreshes at once', async () => {
    tabs.withLocks();
    await expectPromptStart(1);
  });

  it('a lock snapshot without `held` (the member is optional) is no peer: a lone tab refreshes at once', async () => {
    const locks = tabs.withLocks();
    locks.query = () => Promise.resolve({});
    await expectPromptStart(1);
  });

  it('beside a peer without a token: it waits for that one answer, then refreshes', async () => {
    const locks = tabs.withLocks();
    tabs.peer({ locks, delayMs: 100 });
    await expectPromptStart(1);
  });

  it('beside a peer without a token that answers before the peers are counted: it refreshes once they are', async () => {
    const locks = slowToCount(200);
    tabs.peer({ locks });
    await expectPromptStart(1);
  });

  it('beside two peers, the first with an expired token: it waits for the second one’s token and makes no refresh', async () => {
    const locks = tabs.withLocks();
    await expectSecondPeersToken(locks);
  });

  it('beside two peers, the first with a token that will do: it takes it without waiting for the second', async () => {
    const locks = tabs.withLocks();
    const good = rawToken(jwtFor(Date.now(), 300));
    tabs.peer({ locks, token: good });
    tabs.peer({ locks, delayMs: 60_000 });
    const a = tabs.tab(PATIENT);
    const { ms, value } = await timed(a.ready);
    expect(value).toMatchObject({ status: 'authenticated', accessToken: good.accessToken });
    expect(ms).toBeLessThan(PROMPT_MS);
    expect(tabs.api().refreshCalls).toBe(0);
  });

  it('a lock listed without a name (LockInfo’s name is optional) does not stop the count', async () => {
    const locks = tabs.withLocks();
    const query = locks.query;
    locks.query = async () => {
      const { held = [] } = await query();
      return { held: [...held, { mode: 'exclusive' }] };
    };
    await expectSecondPeersToken(locks);
  });
});

describe('without Web Locks: peers cannot be counted', () => {
  it('beside a peer without a token: the first answer is enough, then it refreshes', async () => {
    tabs.peer({ delayMs: 50 });
    await expectPromptStart(1);
  });
});

describe('with Web Locks, later refreshes ask too, in their turn', () => {
  it('a tab that refreshes with nobody ahead of it asks its live peers first: a fresher token one holds saves the call', async () => {
    const locks = tabs.withLocks();
    const a = tabs.tab(PATIENT);
    await a.ready;
    const calls = tabs.api().refreshCalls;
    // A peer that holds a newer token it never announced (its announcement lost, say).
    const fresher = jwtFor(Date.now() + 60_000, 300);
    tabs.peer({ token: rawToken(fresher), locks });
    const { ms, value } = await timed(a.refresh());
    expect(value).toBe(fresher);
    expect(tokenOf(a)).toBe(fresher);
    expect(tabs.api().refreshCalls).toBe(calls);
    expect(ms).toBeLessThan(PROMPT_MS);
  });
});
