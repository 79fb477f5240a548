import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../playground/store/memory-store';
import { clientAddressKey } from '../../playground/auth/login-throttle';
import { createHashingSlots } from '../../playground/auth/hashing-slots';
import { ALICE, loginFrom, startServer } from '../helpers/server-client';
import { sleep } from '../helpers/wait.js';

/**
 * Password guessing (issue 18, items 4 and 7): failures are throttled per user name and per client
 * address with a growing delay (429 + Retry-After), the counts live in the store, a real user is
 * never locked out, a flood is bounded by the hashing slots, and the log never holds what was typed.
 */

const WRONG = { username: 'alice', password: 'not-her-password' };

describe('reference server: login throttle', () => {
  it('32 concurrent wrong guesses: at most 10 are checked, the rest get 503 or 429, none slips through as 200', async () => {
    const { url } = await startServer();
    const answers = await Promise.all(Array.from({ length: 32 }, () => loginFrom(url, '127.0.0.1', WRONG)));
    const count = (status: number) => answers.filter((answer) => answer.status === status).length;
    expect(count(401)).toBeLessThanOrEqual(10);
    expect(count(401) + count(429) + count(503)).toBe(32);
    for (const answer of answers.filter((a) => a.status === 503)) {
      expect([answer.error, answer.retryAfter]).toEqual(['login_busy', '1']);
    }
    // Now the user name is in its delay: the next guess from this address is not even checked.
    const next = await loginFrom(url, '127.0.0.1', WRONG);
    expect([next.status, next.error]).toEqual([429, 'login_throttled']);
    expect(Number(next.retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('delays grow with each failure past the free ones: Retry-After 1 s, then 2 s', async () => {
    const { url } = await startServer();
    for (let i = 0; i < 4; i += 1) expect((await loginFrom(url, '127.0.0.1', WRONG)).status).toBe(401);
    expect((await loginFrom(url, '127.0.0.1', WRONG)).status).toBe(401); // the 5th starts the delay
    expect(await loginFrom(url, '127.0.0.1', ALICE)).toMatchObject({ status: 429, retryAfter: '1' });
    await sleep(1100);
    expect((await loginFrom(url, '127.0.0.1', WRONG)).status).toBe(401);
    expect(await loginFrom(url, '127.0.0.1', ALICE)).toMatchObject({ status: 429, retryAfter: '2' });
  });

  it('never locks the real user out: an address without failures still gets in while her name is in its delay', async () => {
    const { url } = await startServer();
    // 8 failures, each from an address without failures (so each is checked): a delay of 8 s now.
    for (let i = 0; i < 8; i += 1) expect((await loginFrom(url, `127.0.3.${i + 1}`, WRONG)).status).toBe(401);
    expect(await loginFrom(url, '127.0.3.1', ALICE)).toMatchObject({ status: 429, retryAfter: '8' });
    expect((await loginFrom(url, '127.0.0.2', ALICE)).status).toBe(200);
    // Her success cleared the name's failures: an address with one failure is let through again.
    expect((await loginFrom(url, '127.0.3.1', ALICE)).status).toBe(200);
  });

  it('answers a refused login only after a second, so a flood cannot spin on cheap refusals', async () => {
    const { url } = await startServer();
    for (let i = 0; i < 5; i += 1) await loginFrom(url, '127.0.0.1', WRONG);
    const startedAt = Date.now();
    expect((await loginFrom(url, '127.0.0.1', WRONG)).status).toBe(429);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(950);
  });

  it('throttles one address across user names, known or not', async () => {
    const { url } = await startServer();
    for (let i = 0; i < 20; i += 1) {
      const answer = await loginFrom(url, '127.0.0.3', { username: `nobody-${i}`, password: 'x' });
      expect(answer.status).toBe(401);
    }
    expect(await loginFrom(url, '127.0.0.3', { username: 'bob', password: 'x' })).toMatchObject({ status: 429, error: 'login_throttled' });
    expect((await loginFrom(url, '127.0.0.4', ALICE)).status).toBe(200);
  });

  it('keeps the counts in the store: a second instance on the same store throttles too', async () => {
    const store = createMemoryStore();
    const a = await startServer({ store });
    const b = await startServer({ store });
    for (let i = 0; i < 5; i += 1) await loginFrom(a.url, '127.0.0.1', WRONG);
    expect((await loginFrom(b.url, '127.0.0.1', ALICE)).status).toBe(429);
  });

  it('counts IPv6 clients by their /64 and IPv4-mapped ones as IPv4', () => {
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('addr:2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:0:0:9')).toBe('addr:2001:db8:1:2::/64');
    expect(clientAddressKey('::1')).toBe('addr:0:0:0:0::/64');
    expect(clientAddressKey('::ffff:10.0.0.7')).toBe('addr:10.0.0.7');
    expect(clientAddressKey('10.0.0.7')).toBe('addr:10.0.0.7');
  });
});

describe('reference server: login log', () => {
  it('never logs what was typed as a name, and writes at most 10 lines per 10 s in a flood', async () => {
    const lines: string[] = [];
    const { url } = await startServer({ log: (line) => lines.push(line) });
    const typed = 'wonderland-typed-as-a-name';
    for (let i = 0; i < 15; i += 1) await loginFrom(url, `127.0.1.${i + 1}`, { username: `${typed}-${i}`, password: 'x' });
    await loginFrom(url, '127.0.2.1', WRONG);
    expect(lines.join('\n')).not.toContain(typed);
    expect(lines.filter((line) => line.startsWith('login'))).toHaveLength(10);
    expect(lines).toContain('login failed: unknown user name');
  });

  it('names a known user whose password was wrong', async () => {
    const lines: string[] = [];
    const { url } = await startServer({ log: (line) => lines.push(line) });
    await loginFrom(url, '127.0.0.1', WRONG);
    expect(lines).toContain('login failed: wrong password for "alice"');
  });
});

describe('hashing slots', () => {
  it('runs at most `slots` at once, lets `waiting` more wait in order, and refuses the rest or a wait too long', async () => {
    const slots = createHashingSlots({ slots: 1, waiting: 2, waitMs: 150 });
    const order: string[] = [];
    const job = (name: string, ms: number) => () => {
      order.push(`${name} starts`);
      return sleep(ms).then(() => name);
    };
    const outcome = (promise: Promise<string>) => promise.catch((error: { status: number; code: string }) => `${error.status} ${error.code}`);
    const results = Promise.all([
      outcome(slots.run(job('a', 100))),
      outcome(slots.run(job('b', 100))), // waits 100 ms: in time
      outcome(slots.run(job('c', 10))), // would wait 200 ms: past waitMs
      outcome(slots.run(job('d', 10))), // the queue is full
    ]);
    expect(await results).toEqual(['a', 'b', '503 login_busy', '503 login_busy']);
    expect(order).toEqual(['a starts', 'b starts']);
    expect(await slots.run(job('e', 1))).toBe('e'); // every slot was given back
  });
});
