import { describe, expect, it } from 'vitest';
import { createAuthFetch, type AuthFetchOptions } from '../../src/index.js';
import { createClock } from '../../src/clock.js';
import { isStale, parseTokenAnswer } from '../../src/token.js';

const offline = async () => new Response(null, { status: 401 });
const make = (options: Record<string, unknown>) => () =>
  createAuthFetch({ fetch: offline, ...options } as unknown as AuthFetchOptions).dispose();

describe('options are validated at creation', () => {
  it.each([
    [{}, /`refresh` must be a URL or a function, got undefined/],
    [{ refresh: '' }, /`refresh`.*got ""/],
    [{ refresh: '/r', leewayMs: -5 }, /`leewayMs` must be a number ≥ 0, got -5/],
    [{ refresh: '/r', leewayMs: Number.NaN }, /`leewayMs`.*NaN/],
    [{ refresh: '/r', trustedOrigins: 'https://a.test' }, /`trustedOrigins` must be an array/],
    [{ refresh: '/r', trustedOrigins: ['https://a.test/'] }, /`trustedOrigins` must be an array of origins.*\["https:\/\/a.test\/"\]/],
    [{ refresh: '/r', trustedOrigins: ['a.test'] }, /`trustedOrigins`/],
    [{ refresh: '/r', credentials: 'always' }, /`credentials`.*"always"/],
    [{ refresh: '/r', fetch: 'fetch' }, /`fetch` must be a function, got "fetch"/],
    [{ refresh: '/r', idempotency: true }, /`idempotency` must be an object or false, got true/],
    [{ refresh: '/r', idempotency: { header: '' } }, /`idempotency.header`/],
    [{ refresh: '/r', idempotency: { methods: 'POST' } }, /`idempotency.methods`/],
    // Headers.set would throw on every POST.
    [{ refresh: '/r', idempotency: { header: 'Idempotency Key' } }, /`idempotency.header` must be a header name like "Idempotency-Key", got "Idempotency Key"/],
    [{ refresh: '/r', idempotency: { header: 'Idempotenz-Schlüssel' } }, /`idempotency.header`/],
    [{ refresh: '/r', idempotency: { header: 'X-Key:' } }, /`idempotency.header`/],
    // A misspelt option was silently ignored.
    [{ refresh: '/r', trustedOrigin: ['https://a.test'] }, /^unknown option `trustedOrigin`$/],
    [{ refresh: '/r', idempotency: { method: ['POST'] } }, /^unknown option `idempotency.method`$/],
    [{ refresh: '/r', toString: 'x' }, /^unknown option `toString`$/],
    [{ refresh: '/r', channel: '' }, /`channel`/],
    [{ refresh: '/r', logout: 5 }, /`logout` must be a URL, got 5/],
    [{ refresh: '/r', shouldRefresh: 401 }, /`shouldRefresh` must be a function, got 401/],
    [{ refresh: '/r', peerTimeoutMs: -1 }, /`peerTimeoutMs` must be a number of ms from 0 to 10000, got -1/],
    [{ refresh: '/r', peerTimeoutMs: 10_001 }, /`peerTimeoutMs`.*got 10001/],
    [{ refresh: '/r', peerTimeoutMs: '100' }, /`peerTimeoutMs`.*got "100"/],
    [{ refresh: '/r', 'idempotency.methods': ['POST'] }, /unknown option `idempotency.methods`/],
    [{ refresh: '/r', refreshTimeoutMs: Infinity }, /`refreshTimeoutMs` must be a number of ms from 1 to 2147483647, got Infinity/],
    // Each of these made every refresh fail: aborted at once, or AbortSignal.timeout out of range.
    [{ refresh: '/r', refreshTimeoutMs: 0 }, /`refreshTimeoutMs` must be a number of ms from 1 to 2147483647, got 0/],
    [{ refresh: '/r', refreshTimeoutMs: 2 ** 31 }, /`refreshTimeoutMs`.*got 2147483648/],
    [{ refresh: '/r', refreshTimeoutMs: 2 ** 32 }, /`refreshTimeoutMs`.*got 4294967296/],
    [{ refresh: '/r', refreshTimeoutMs: Number.NaN }, /`refreshTimeoutMs`.*got NaN/],
  ])('%o is refused', (options, message) => {
    expect(make(options)).toThrow(TypeError);
    expect(make(options)).toThrow(message);
  });

  it('an option set to undefined takes its default, inside `idempotency` too', async () => {
    const sent: Headers[] = [];
    const authFetch = createAuthFetch({
      refresh: async () => ({ accessToken: 'opaque' }),
      channel: false,
      trustedOrigins: ['https://api.test'],
      leewayMs: undefined,
      fetch: async (_input: RequestInfo | URL, init?: RequestInit) => {
        sent.push(new Headers(init?.headers));
        return new Response('ok');
      },
      idempotency: { methods: undefined, header: undefined, key: undefined },
    } as unknown as AuthFetchOptions);
    await authFetch('https://api.test/posts', { method: 'POST', body: '{}' });
    expect(sent[0]!.get('authorization')).toBe('Bearer opaque');
    expect(sent[0]!.get('idempotency-key')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    authFetch.dispose();
  });

  it('timeouts at the bounds work: a refresh with the longest refreshTimeoutMs succeeds', async () => {
    expect(make({ refresh: '/r', channel: false, refreshTimeoutMs: 1, peerTimeoutMs: 0 })).not.toThrow();
    const authFetch = createAuthFetch({
      refresh: 'https://api.test/auth/refresh',
      channel: false,
      refreshTimeoutMs: 2_147_483_647,
      peerTimeoutMs: 10_000,
      fetch: async () => Response.json({ accessToken: 'opaque', expiresIn: 300 }),
    });
    expect((await authFetch.ready).status).toBe('authenticated');
    authFetch.dispose();
  });

  it('accepts a minimal configuration', () => {
    expect(make({ refresh: '/auth/refresh', channel: false })).not.toThrow();
    expect(make({ refresh: async () => null, channel: false })).not.toThrow();
  });
});

describe('token timing', () => {
  it('the clock leaves a correct clock alone and corrects only what the evidence proves', () => {
    const skewAfter = (...sightings: Array<[server: number, sentAt: number, receivedAt: number]>) => {
      const clock = createClock(() => 0, () => {});
      for (const [server, sentAt, receivedAt] of sightings) clock.observe(server, sentAt, receivedAt);
      return clock.skew();
    };
    // Server time 10:00:00.000-.999, request took 50 ms: consistent with no skew.
    expect(skewAfter([10_000, 10_200, 10_250])).toBe(0);
    expect(skewAfter([10_000, 9_950, 10_999])).toBe(0);
    // Server second starts after we received the answer: it is ahead by at least that.
    expect(skewAfter([20_000, 10_000, 10_050])).toBe(9_950);
    // Server second ended before we sent: it is behind by at least that.
    expect(skewAfter([5_000, 10_000, 10_050])).toBe(-4_000);
    // Every sighting narrows the range: ahead by 9,950 to 10,950 ms, then by 10,400 to 11,400 ms.
    expect(skewAfter([20_000, 10_000, 10_050], [20_000, 9_600, 9_600])).toBe(10_400);
    // A sighting outside the range means a clock was set: start over from it.
    expect(skewAfter([20_000, 10_000, 10_050], [10_000, 10_000, 10_050])).toBe(0);
    // Not a time: ignored.
    expect(skewAfter([NaN, 0, 0])).toBe(0);
  });

  it('isStale uses min(leeway, half the lifetime)', () => {
    const token = { accessToken: 't', expiresAt: 100_000, lifetime: 30_000, exp: 100, obtainedAt: 70_000 };
    expect(isStale(token, 84_999, 60_000)).toBe(false);
    expect(isStale(token, 85_000, 60_000)).toBe(true);
    expect(isStale({ ...token, expiresAt: undefined }, 1e15, 60_000)).toBe(false);
  });

  it('parseTokenAnswer falls back to expiresIn and tolerates garbage', () => {
    const clock = createClock(() => 1200, () => {});
    expect(parseTokenAnswer({ accessToken: 'not.a.jwt', expiresIn: 10 }, clock, 1000).expiresAt).toBe(11_000);
    expect(parseTokenAnswer({ accessToken: 'a.~~~.c' }, clock, 0).expiresAt).toBeUndefined();
    expect(parseTokenAnswer({ accessToken: 'a.bnVsbA.c' }, clock, 0).exp).toBeUndefined(); // payload "null"
  });
});
