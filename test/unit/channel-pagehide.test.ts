/** A page going away (pagehide) says bye on the tab channel, so that no peer waits for its answers or its claim. */
import { describe, expect, it } from 'vitest';
import { openChannel } from '../../src/channel.js';

const SCOPE = 'https://app.test/auth/refresh https://app.test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pagehide', () => {
  it('says bye while open; after close() the page’s pagehide says nothing more', async () => {
    const name = `pagehide-test-${process.pid}`;
    const channel = openChannel(name, SCOPE)!;
    const raw = new BroadcastChannel(name);
    const seen: unknown[] = [];
    raw.onmessage = (event: MessageEvent) => seen.push((event.data as { t: string }).t);
    globalThis.dispatchEvent(new Event('pagehide'));
    await sleep(30);
    expect(seen).toEqual(['bye']);
    channel.close(); // its own bye
    globalThis.dispatchEvent(new Event('pagehide'));
    await sleep(30);
    raw.close();
    expect(seen).toEqual(['bye', 'bye']);
  });
});
