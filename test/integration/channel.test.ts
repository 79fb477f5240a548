/**
 * The tab protocol's channel on its own (src/channel.ts): what it lets through, how it counts its
 * peers, how a query ends, and what closing it does. A raw BroadcastChannel plays the peers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openChannel, type Received } from '../../src/channel.js';
import { jwtFor } from '../../harness/jwt.js';
import { rawToken } from '../helpers/tabs.js';
import { sleep } from '../helpers/wait.js';

const SCOPE = 'https://app.test/auth/refresh https://app.test';
const DELIVERY_MS = 30;
let count = 0;
const opened: Array<{ close(): void }> = [];
afterEach(() => opened.splice(0).forEach((c) => c.close()));

/** A channel under test, and a raw peer on the same name that posts and records. */
function pair() {
  const name = `channel-test-${process.pid}-${++count}`;
  const channel = openChannel(name, SCOPE)!;
  const raw = new BroadcastChannel(name);
  const seen: Array<Record<string, unknown>> = [];
  raw.onmessage = (event: MessageEvent) => seen.push(event.data as Record<string, unknown>);
  opened.push(channel, raw);
  const heard: Received[] = [];
  channel.listen((m) => heard.push(m));
  /** Posts as peer `from` (default 'peer') of the channel's scope. */
  const post = (message: Record<string, unknown>) => raw.postMessage({ from: 'peer', scope: SCOPE, ...message });
  return { channel, raw, seen, heard, post };
}

/** Answers every query of `channel` as each of `peers`, with `token` if given. */
function answerAs(raw: BroadcastChannel, seen: Array<Record<string, unknown>>, peers: string[], token?: unknown) {
  const onQuery = (event: MessageEvent) => {
    const m = event.data as Record<string, unknown>;
    if (m.t === 'query') for (const from of peers) raw.postMessage({ t: 'answer', id: m.id, from, scope: SCOPE, token });
    seen.push(m);
  };
  raw.onmessage = onQuery;
}

describe('what the channel lets through', () => {
  it.each([
    ['a query without a string id', { t: 'query', id: 5 }],
    ['an answer without a string id', { t: 'answer', token: rawToken(jwtFor(Date.now(), 300)) }],
    ['an answer with a malformed token', { t: 'answer', id: 'q', token: { accessToken: 'two\nlines', obtainedAt: 1 } }],
    ['a sender that is no string', { t: 'end', from: 7 }],
    ['a type that is no string (an array)', { t: ['end'] }],
    ['a message that claims to come from this instance', { t: 'end', from: 'SELF' }],
  ] as Array<[string, Record<string, unknown>]>)('drops %s', async (_, message) => {
    const { channel, heard, post } = pair();
    post({ ...message, ...(message.from === 'SELF' ? { from: channel.self } : {}) });
    post({ t: 'release' });
    await sleep(DELIVERY_MS);
    expect(heard.map((m) => m.t)).toEqual(['release']);
  });

  it('lets an answer without a token through', async () => {
    const { heard, post } = pair();
    post({ t: 'answer', id: 'q' });
    await sleep(DELIVERY_MS);
    expect(heard).toEqual([{ t: 'answer', id: 'q', from: 'peer', scope: SCOPE }]);
  });

  it('a listener removed hears nothing more', async () => {
    const { channel, post } = pair();
    const late: unknown[] = [];
    const off = channel.listen((m) => late.push(m));
    off();
    post({ t: 'release' });
    await sleep(DELIVERY_MS);
    expect(late).toEqual([]);
  });

  it('there is no channel where BroadcastChannel is missing', () => {
    const had = Object.getOwnPropertyDescriptor(globalThis, 'BroadcastChannel')!;
    delete (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
    try {
      expect(openChannel('no-channel', SCOPE)).toBeUndefined();
    } finally {
      Object.defineProperty(globalThis, 'BroadcastChannel', had);
    }
  });
});

describe('peers', () => {
  it('a peer is known once it speaks, and forgotten when it says bye', async () => {
    const { channel, post } = pair();
    post({ t: 'release', from: 'p1' });
    post({ t: 'release', from: 'p2' });
    await sleep(DELIVERY_MS);
    expect(channel.knownPeers()).toBe(2);
    post({ t: 'bye', from: 'p1' });
    await sleep(DELIVERY_MS);
    expect(channel.knownPeers()).toBe(1);
  });

  it('a query that times out forgets the peers that stayed silent, not the ones that answered', async () => {
    const { channel, raw, seen, post } = pair();
    post({ t: 'release', from: 'silent' });
    answerAs(raw, seen, ['talker']);
    await sleep(DELIVERY_MS);
    await channel.ask(3, () => false, 100);
    expect(channel.knownPeers()).toBe(1); // 'talker'
  });
});

describe('a query', () => {
  it('ends when as many peers as expected answered, not before', async () => {
    const { channel, raw, seen } = pair();
    answerAs(raw, seen, ['p1', 'p2']);
    const ask = channel.ask(2, () => false, 2_000);
    const started = Date.now();
    await ask;
    expect(Date.now() - started).toBeLessThan(1_000);
    const early = channel.ask(3, () => false, 200);
    const outcome = await Promise.race([early.then(() => 'ended'), sleep(100).then(() => 'waiting')]);
    expect(outcome).toBe('waiting'); // two answers of three
    await early;
  });

  it('answers with ids of other queries or of other kinds do not count', async () => {
    const { channel, raw } = pair();
    raw.onmessage = (event: MessageEvent) => {
      const m = event.data as Record<string, unknown>;
      if (m.t !== 'query') return;
      raw.postMessage({ t: 'answer', id: 'not-yours', from: 'p1', scope: SCOPE });
      raw.postMessage({ t: 'query', id: m.id, from: 'p2', scope: SCOPE });
    };
    const outcome = await Promise.race([channel.ask(1, () => true, 200).then(() => 'ended'), sleep(100).then(() => 'waiting')]);
    expect(outcome).toBe('waiting');
  });

  it('ends at the first answer whose token is enough; a tokenless answer or one not enough does not end it', async () => {
    const { channel, raw } = pair();
    const wanted = rawToken(jwtFor(Date.now(), 300));
    const other = rawToken(jwtFor(Date.now() - 1_000, 300));
    let answer: (token?: unknown) => void = () => {};
    raw.onmessage = (event: MessageEvent) => {
      const m = event.data as Record<string, unknown>;
      if (m.t === 'query') answer = (token) => raw.postMessage({ t: 'answer', id: m.id, from: `p${Math.random()}`, scope: SCOPE, token });
    };
    let ended = false;
    const ask = channel.ask(5, (t) => t.accessToken === wanted.accessToken, 2_000).then(() => (ended = true));
    await sleep(DELIVERY_MS);
    answer();
    answer(other);
    await sleep(DELIVERY_MS);
    expect(ended).toBe(false);
    answer(wanted);
    await sleep(DELIVERY_MS);
    expect(ended).toBe(true);
    await ask;
  });

  it('close() ends the queries under way at once, and says bye', async () => {
    const { channel, seen } = pair();
    const ask = channel.ask(1, () => false, 5_000);
    await sleep(DELIVERY_MS);
    const started = Date.now();
    channel.close();
    await ask;
    expect(Date.now() - started).toBeLessThan(1_000);
    await sleep(DELIVERY_MS);
    expect(seen.map((m) => m.t)).toEqual(['query', 'bye']);
  });
});
