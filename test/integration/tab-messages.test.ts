/**
 * What the tab protocol lets through (src/tabs.ts): a message of this app's scope whose every field
 * checks out. Anything else, however close, is ignored before a tab acts on it: no `tab:message`
 * event, no token taken, no answer sent.
 */
import { describe, expect, it } from 'vitest';
import { jwtFor } from '../../harness/jwt.js';
import { rawToken, tokenOf, useTabs } from '../helpers/tabs.js';
import { sleep } from '../helpers/wait.js';

const tabs = useTabs();
const DELIVERY_MS = 50;

/** An authenticated tab and the tab:message kinds it reports from now on. */
async function listeningTab() {
  const a = tabs.tab();
  await a.ready;
  const kinds: string[] = [];
  a.on((event) => {
    if (event.type === 'tab:message') kinds.push(event.kind);
  });
  return { a, kinds };
}

describe('messages a tab ignores', () => {
  it('a malformed envelope: no sender, a sender that is no string, a type that is no string, another scope', async () => {
    const { a, kinds } = await listeningTab();
    tabs.post({ t: 'end', from: undefined });
    tabs.post({ t: 'end', from: 7 });
    tabs.post({ t: 5 });
    // A key of the table of checks only once made a string: ['end'] is read as 'end' as a property key.
    tabs.post({ t: ['end'] });
    tabs.post({ t: 'end' }, 'another app https://other.test');
    await sleep(DELIVERY_MS);
    expect(kinds).toEqual([]);
    expect(a.getState().status).toBe('authenticated');
  });

  it('undefined, as a browser delivers postMessage(undefined) (Node’s channel delivers it as null)', async () => {
    const NodeChannel = globalThis.BroadcastChannel;
    const opened: BroadcastChannel[] = [];
    globalThis.BroadcastChannel = class extends NodeChannel {
      constructor(name: string) {
        super(name);
        opened.push(this);
      }
    };
    let tab: Awaited<ReturnType<typeof listeningTab>>;
    try {
      tab = await listeningTab();
    } finally {
      globalThis.BroadcastChannel = NodeChannel;
    }
    // What the browser does with such a message: it calls the channel's handler with it. (A
    // MessageEvent made here would turn `data: undefined` into null as well.)
    for (const channel of opened) channel.onmessage?.({ data: undefined } as MessageEvent);
    expect(opened).not.toHaveLength(0);
    expect(tab.kinds).toEqual([]);
    expect(tab.a.getState().status).toBe('authenticated');
  });

  it('a type that is only inherited by the table of checks (toString, constructor, hasOwnProperty)', async () => {
    const { a, kinds } = await listeningTab();
    for (const t of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) tabs.post({ t, id: 'q', until: 0 });
    await sleep(DELIVERY_MS);
    expect(kinds).toEqual([]);
    expect(a.getState().status).toBe('authenticated');
  });

  it.each([
    ['a query without an id', { t: 'query' }],
    ['a query whose id is no string', { t: 'query', id: 5 }],
    ['an answer without an id', { t: 'answer', token: rawToken(jwtFor(Date.now() + 60_000, 300)) }],
    ['an answer whose token is no bearer token', { t: 'answer', id: 'q', token: { ...rawToken(jwtFor(Date.now() + 60_000, 300)), accessToken: 'two\nlines' } }],
    ['an answer whose token has a non-finite exp', { t: 'answer', id: 'q', token: { ...rawToken(jwtFor(Date.now() + 60_000, 300)), exp: Infinity } }],
    ['an outage without a time', { t: 'outage' }],
    ['a login with no token', { t: 'login' }],
  ])('%s', async (_, message) => {
    const { a, kinds } = await listeningTab();
    const before = tokenOf(a);
    const seen = tabs.listen();
    tabs.post(message);
    await sleep(DELIVERY_MS);
    expect(kinds).toEqual([]);
    expect(tokenOf(a)).toBe(before);
    // Nothing was answered either.
    expect(seen.filter((m) => (m as { t?: string; from?: string }).from !== 'peer')).toEqual([]);
  });

  it('an answer with a fresh, newer token is taken (the same message, well formed)', async () => {
    const { a, kinds } = await listeningTab();
    const newer = jwtFor(Date.now() + 60_000, 300);
    tabs.post({ t: 'answer', id: 'q', token: rawToken(newer) });
    await sleep(DELIVERY_MS);
    expect(kinds).toEqual(['answer']);
    expect(tokenOf(a)).toBe(newer);
  });

  it('a query is answered with the token held', async () => {
    const { a, kinds } = await listeningTab();
    const seen = tabs.listen();
    tabs.post({ t: 'query', id: 'q1' });
    await sleep(DELIVERY_MS);
    expect(kinds).toEqual(['query']);
    expect(seen).toContainEqual(expect.objectContaining({ t: 'answer', id: 'q1', token: expect.objectContaining({ accessToken: tokenOf(a) }) }));
  });
});
