/**
 * What README's HMR recipe relies on: after `dispose()` nothing of the instance keeps running. A
 * plain Node process loads the built package with two instances on one real BroadcastChannel (two
 * tabs), a refresh, subscribers, a request pending and a refresh under way, then disposes both.
 * Channels and timers are observed by wrapping the real globals before the package loads.
 * (Chromium's Web Locks: test/browser/dispose.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

const PEER_TIMEOUT_MS = 100; // the default of `peerTimeoutMs`

const script = `
  let openChannels = 0;
  globalThis.BroadcastChannel = class extends BroadcastChannel {
    #open = true;
    constructor(name) { super(name); openChannels++; }
    close() { if (this.#open) openChannels--; this.#open = false; super.close(); }
  };
  /** Timers neither fired nor cleared, with their delays. */
  const timers = new Map();
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = (fn, ms, ...args) => {
    const id = set(() => { timers.delete(id); fn(...args); }, ms);
    timers.set(id, ms);
    return id;
  };
  globalThis.clearTimeout = (id) => { timers.delete(id); clear(id); };
  const pending = () => ({ channels: openChannels, timers: [...timers.values()] });

  const { createAuthFetch } = await import('./dist/index.js');
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = () => [b64({ alg: 'HS256' }), b64({ exp: Math.floor(Date.now() / 1000) + 60 }), 'sig'].join('.');
  const api = 'http://127.0.0.1:9';
  // The API: refreshes answer, /slow only ends when its request is aborted (as fetch does).
  const fetch = async (input, init) => {
    const url = String(input);
    if (url.endsWith('/auth/refresh')) return Response.json({ accessToken: token(), expiresIn: 60 });
    if (!url.endsWith('/slow')) return new Response('ok');
    const { signal } = init;
    return new Promise((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  };
  const options = { refresh: api + '/auth/refresh', trustedOrigins: [api], fetch, channel: 'dispose-test' };
  const tab = createAuthFetch(options);
  const otherTab = createAuthFetch(options);
  await Promise.all([tab.ready, otherTab.ready]);
  tab.subscribe(() => {});
  tab.on(() => {});
  await tab.refresh();
  await (await tab(api + '/me')).text();
  const slow = tab(api + '/slow').catch((error) => error.name);
  const refreshing = otherTab.refresh().catch((error) => error.name);
  const before = pending();
  tab.dispose();
  otherTab.dispose();
  const outcomes = await Promise.all([slow, refreshing]);
  const atDispose = pending();
  await new Promise((resolve) => set(resolve, ${PEER_TIMEOUT_MS} + 50));
  console.log(JSON.stringify({ outcomes, before, atDispose, later: pending() }));
`;

type Pending = { channels: number; timers: number[] };
let result: { outcomes: string[]; before: Pending; atDispose: Pending; later: Pending };

describe('dispose() in plain Node, with a real BroadcastChannel', () => {
  beforeAll(() => {
    if (!existsSync('dist/index.js')) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    // The timeout fails the run if anything kept the process alive.
    result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 }));
  });

  it('closes both channels at once and ends what was pending; the process exits by itself', () => {
    expect(result.outcomes).toEqual(['SessionEndedError', 'SessionEndedError']);
    expect(result.before.channels).toBe(2);
    expect(result.atDispose.channels).toBe(0);
  });

  it('leaves no timer behind: not the wait for another tab, nor the refresh call, nor an open query', () => {
    expect(result.atDispose).toEqual({ channels: 0, timers: [] });
    expect(result.later).toEqual({ channels: 0, timers: [] });
  });
});
