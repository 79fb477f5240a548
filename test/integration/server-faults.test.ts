import { describe, expect, it } from 'vitest';
import { loggedIn, refreshCookieOf, startServer } from '../helpers/server-client';

describe('reference server: refresh fault injection', () => {
  it('fails refreshes on purpose without ever rotating a token the client did not receive', async () => {
    const { url, stats } = await startServer({ refreshFaultRate: 1, reuseGrace: 0 });
    const sessions = await Promise.all(Array.from({ length: 6 }, () => loggedIn(url)));
    const outcomes = await Promise.all(
      sessions.map(async (session) => {
        const before = session.cookie ?? '';
        try {
          const res = await session.refreshWith(before);
          if (res.status === 503) {
            expect(await res.json()).toEqual({ error: 'unavailable', message: expect.any(String) });
            return 'unavailable';
          }
          expect(res.status).toBe(200); // the slow fault: late, then normal processing
          expect(refreshCookieOf(res)).not.toBe(before);
          return 'slow';
        } catch {
          return 'dropped';
        }
      }),
    );
    expect(stats.refreshFaults).toBe(6);
    for (const outcome of outcomes) expect(['unavailable', 'dropped', 'slow']).toContain(outcome);
    // No fault makes a token count as presented twice, and none revoked a family.
    expect(stats.refreshTokensPresentedTwice).toBe(0);
    expect(stats.refreshRotations).toBe(outcomes.filter((o) => o === 'slow').length);
  });

  it('refreshes normally with the fault rate at 0', async () => {
    const { url, stats } = await startServer({ refreshFaultRate: 0 });
    const session = await loggedIn(url);
    expect((await session.refresh()).status).toBe(200);
    expect(stats.refreshFaults).toBe(0);
  });

  it('validates the option', async () => {
    await expect(startServer({ refreshFaultRate: 1.5 })).rejects.toThrow(/`refreshFaultRate` must be a number 0..1/);
  });
});
