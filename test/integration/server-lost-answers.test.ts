import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../playground/store/memory-store';
import type { RotateOutcome, Store } from '../../playground/store/store';
import { ALICE, loggedIn, startServer } from '../helpers/server-client';
import { DpopClient, makeProof, proofKey } from '../helpers/dpop-proofs';
import { sleep } from '../helpers/wait.js';

/**
 * Answers that never reach the client (issue 18, items 2 and 5), on the memory store: what the
 * client did not receive must not count. Redis stalls: redis-outage.test.ts.
 */

/** A store whose first `held` rotations wait at a gate after running, so both can be abandoned in flight. */
function gatedRotations(inner: Store, held: number) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const arrived: Array<() => void> = [];
  const allArrived = Promise.all(Array.from({ length: held }, () => new Promise<void>((resolve) => arrived.push(resolve))));
  let calls = 0;
  const store: Store = {
    ...inner,
    async rotateRefreshToken(request): Promise<RotateOutcome> {
      const outcome = await inner.rotateRefreshToken(request);
      const index = calls;
      calls += 1;
      if (index < held) {
        arrived[index]?.();
        await gate;
      }
      return outcome;
    },
  };
  return { store, allArrived, open };
}

/** The server's log, and a promise per line awaited (resolved by the line, not by polling). */
function watchedLog() {
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  return {
    lines,
    write(line: string): void {
      lines.push(line);
      for (const waiter of waiters) if (waiter.pattern.test(line)) waiter.resolve();
    },
    seen(pattern: RegExp): Promise<void> {
      if (lines.some((line) => pattern.test(line))) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

describe('reference server: lost answers', () => {
  it('a rotation and a grace answer both lost: the rotation is undone, the kept cookie works after the grace window', async () => {
    const lines: string[] = [];
    const { store, allArrived, open } = gatedRotations(createMemoryStore(), 2);
    const { url, stats } = await startServer({ store, reuseGrace: 1, log: (line) => lines.push(line) });
    const session = await loggedIn(url);
    const kept = session.cookie ?? '';
    const aborts = [new AbortController(), new AbortController()];
    const gone = aborts.map((abort) => session.fetch('/auth/refresh', { method: 'POST', signal: abort.signal }).catch((error: Error) => error.name));
    await allArrived; // one rotated, one got the grace answer; neither has answered yet
    for (const abort of aborts) abort.abort();
    expect(await Promise.all(gone)).toEqual(['AbortError', 'AbortError']);
    await sleep(50); // the server sees the sockets close
    open();
    await sleep(1100); // past the grace window: a kept cookie that was not restored would be "reuse"
    const next = await session.refreshWith(kept);
    expect(next.status).toBe(200);
    expect(stats.refreshReused).toBe(0);
    expect(lines.filter((line) => line.includes('rotation undone'))).toHaveLength(1);
  });

  it('a grace answer delivered: the rotation is kept, though its own answer was lost', async () => {
    const lines: string[] = [];
    const { store, allArrived, open } = gatedRotations(createMemoryStore(), 1);
    const { url, stats } = await startServer({ store, log: (line) => lines.push(line) });
    const session = await loggedIn(url);
    const kept = session.cookie ?? '';
    const abort = new AbortController();
    const gone = session.fetch('/auth/refresh', { method: 'POST', signal: abort.signal }).catch((error: Error) => error.name);
    await allArrived;
    const grace = await session.refreshWith(kept); // a retry, answered with the same successor
    expect(grace.status).toBe(200);
    abort.abort();
    expect(await gone).toBe('AbortError');
    await sleep(50);
    open();
    await sleep(50);
    const successor = /refresh_token=([^;]*)/.exec(grace.headers.getSetCookie()[0] ?? '')?.[1] ?? '';
    expect((await session.refreshWith(successor)).status).toBe(200);
    expect(stats.refreshReused).toBe(0);
    expect(lines.some((line) => line.includes('rotation kept'))).toBe(true);
    expect(lines.some((line) => line.includes('rotation undone'))).toBe(false);
  });

  it('a login whose answer was lost holds no session slot', async () => {
    const log = watchedLog();
    const { url } = await startServer({ store: createMemoryStore({ limits: { sessionsPerUser: 1 } }), log: log.write });
    const { port } = new URL(url);
    // The request goes out whole, then the client goes while the password is being hashed.
    const body = JSON.stringify(ALICE);
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      setTimeout(() => socket.destroy(), 5);
    });
    await log.seen(/^login answer lost/);
    expect((await loggedIn(url)).cookie).toBeDefined(); // not 429 session_limit_reached
  });
});

/**
 * The same with DPoP sessions (issue 17 with 18): the store knows their tokens only bound to the
 * key (`<token>.<jkt>`), so the undo must name the bound hashes, or it finds nothing to undo.
 */
describe('reference server: lost answers of DPoP sessions', () => {
  it('a lost rotation of a DPoP session is undone: the kept cookie, proved with the key, works after the grace window', async () => {
    const log = watchedLog();
    const { store, allArrived, open } = gatedRotations(createMemoryStore(), 1);
    const { url, stats } = await startServer({ store, dpop: 'required', reuseGrace: 1, log: log.write });
    const client = new DpopClient(url, await proofKey());
    expect((await client.login()).status).toBe(200);
    const refreshUrl = `${url}/auth/refresh`;
    const abort = new AbortController();
    const dpop = await makeProof(client.key!, { htm: 'POST', htu: refreshUrl, nonce: client.nonce });
    const gone = fetch(refreshUrl, { method: 'POST', headers: { cookie: client.cookieHeader(), dpop }, signal: abort.signal }).catch((error: Error) => error.name);
    await allArrived;
    abort.abort();
    expect(await gone).toBe('AbortError');
    await sleep(50); // the server sees the socket close
    open();
    await log.seen(/^refresh answer lost/);
    expect(log.lines.some((line) => line.includes('rotation undone'))).toBe(true);
    await sleep(1100); // past the grace window: a kept cookie that was not restored would be "reuse"
    expect((await client.refresh()).status).toBe(200);
    expect(stats.refreshReused).toBe(0);
  });

  it('a DPoP login whose answer was lost holds no session slot', async () => {
    const log = watchedLog();
    const { url } = await startServer({ store: createMemoryStore({ limits: { sessionsPerUser: 1 } }), dpop: 'required', log: log.write });
    const key = await proofKey();
    // Any answer to a request with a proof carries the nonce: take it from a refused API call.
    const nonce = (await fetch(`${url}/api/me`, { headers: { dpop: await makeProof(key, { htm: 'GET', htu: `${url}/api/me` }) } })).headers.get('dpop-nonce') ?? '';
    const dpop = await makeProof(key, { htm: 'POST', htu: `${url}/auth/login`, nonce });
    const { host, port } = new URL(url);
    const body = JSON.stringify(ALICE);
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST /auth/login HTTP/1.1\r\nHost: ${host}\r\nDPoP: ${dpop}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      setTimeout(() => socket.destroy(), 5);
    });
    await log.seen(/^login answer lost/);
    const again = new DpopClient(url, key);
    expect((await again.login()).status).toBe(200); // not 429 session_limit_reached
  });
});
