import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../playground/store/memory-store';
import type { Store } from '../../playground/store/store';
import { Session, loggedIn, refreshCookieOf, startServer } from '../helpers/server-client';

/** RFC 9700 §4.14.2: a rotated refresh token presented again means it leaked; revoke the family. */
describe('reference server: refresh token reuse detection', () => {
  it('revokes the whole family when a rotated token comes back after the grace window', async () => {
    const { url, stats } = await startServer({ reuseGrace: 0 });
    const victim = await loggedIn(url);
    const stolen = victim.cookie ?? '';
    await victim.refresh();
    await victim.refresh();
    const newest = victim.cookie ?? '';

    const attacker = new Session(url);
    const reuse = await attacker.refreshWith(stolen);
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toEqual({ error: 'refresh_token_reused', message: expect.any(String) });
    expect(refreshCookieOf(reuse)).toBe('');

    // The legitimate holder's newest token is refused too: the family is gone.
    const legit = await victim.refreshWith(newest);
    expect(legit.status).toBe(401);
    expect(((await legit.json()) as { error: string }).error).toBe('invalid_refresh_token');

    expect(stats.refreshReused).toBe(1);
    expect(stats.refreshTokensPresentedTwice).toBe(1);
    expect(stats.securityEvents).toEqual([
      expect.objectContaining({ type: 'refresh_token_reused', userId: 'alice', familyId: expect.any(String) }),
    ]);
  });

  it('revokes only the affected family, not other logins of the same user', async () => {
    const { url } = await startServer({ reuseGrace: 0 });
    const victim = await loggedIn(url);
    const other = await loggedIn(url);
    const stolen = victim.cookie ?? '';
    await victim.refresh();
    expect((await new Session(url).refreshWith(stolen)).status).toBe(401);
    expect((await other.refresh()).status).toBe(200);
  });

  it('answers a rotated token within the grace window with the same successor', async () => {
    const { url, stats } = await startServer({ reuseGrace: 60 });
    const session = await loggedIn(url);
    const original = session.cookie ?? '';
    const first = await session.refreshWith(original);
    const second = await session.refreshWith(original);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const successor = refreshCookieOf(first);
    expect(successor).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(refreshCookieOf(second)).toBe(successor);
    const bodies = (await Promise.all([first.json(), second.json()])) as Array<{ accessToken: string }>;
    expect(bodies[0]?.accessToken).not.toBe(bodies[1]?.accessToken); // fresh access tokens (new jti)

    // The successor is a normal current token: it rotates once more.
    expect((await session.refreshWith(successor ?? '')).status).toBe(200);
    expect(stats).toMatchObject({
      refreshRotations: 2,
      refreshGraceReplays: 1,
      refreshTokensPresentedTwice: 1,
      refreshReused: 0,
      securityEvents: [],
    });
  });

  it('20 concurrent refreshes with one cookie end on one token, without revocation', async () => {
    const { url, stats } = await startServer({ reuseGrace: 60 });
    const session = await loggedIn(url);
    const cookie = session.cookie ?? '';
    const answers = await Promise.all(Array.from({ length: 20 }, () => session.refreshWith(cookie)));
    expect(answers.map((res) => res.status)).toEqual(Array(20).fill(200));
    const cookies = new Set(answers.map(refreshCookieOf));
    expect(cookies.size).toBe(1);
    expect(stats.refreshRotations).toBe(1);
    expect(stats.refreshGraceReplays).toBe(19);
    expect(stats.refreshReused).toBe(0);
    const [successor = ''] = cookies;
    expect((await session.refreshWith(successor)).status).toBe(200);
  });

  it('with the grace window disabled, a racing second presentation revokes the family', async () => {
    const { url, stats } = await startServer({ reuseGrace: 0 });
    const session = await loggedIn(url);
    const cookie = session.cookie ?? '';
    const answers = await Promise.all([session.refreshWith(cookie), session.refreshWith(cookie)]);
    expect(answers.map((res) => res.status).sort()).toEqual([200, 401]);
    expect(stats.refreshReused).toBe(1);
  });

  it('a revoked family stays revoked for grace-window replays too', async () => {
    const { url } = await startServer({ reuseGrace: 60 });
    const session = await loggedIn(url);
    const original = session.cookie ?? '';
    await session.refresh();
    await session.logout();
    const replay = await session.refreshWith(original);
    expect(replay.status).toBe(401);
  });
});

describe('reference server: lost refresh answers', () => {
  it('undoes a rotation when the client went before the answer was written (no false reuse alarm)', async () => {
    const inner = createMemoryStore();
    let rotated!: () => void;
    let goOn!: () => void;
    let undone!: () => void;
    const whenRotated = new Promise<void>((resolve) => (rotated = resolve));
    const gate = new Promise<void>((resolve) => (goOn = resolve));
    const whenUndone = new Promise<void>((resolve) => (undone = resolve));
    const store: Store = {
      ...inner,
      async rotateRefreshToken(request) {
        const outcome = await inner.rotateRefreshToken(request);
        rotated();
        await gate;
        return outcome;
      },
      async undoRotation(...args) {
        const result = await inner.undoRotation(...args);
        undone();
        return result;
      },
    };
    const { url, stats } = await startServer({ store, reuseGrace: 0 });
    const session = await loggedIn(url);
    const kept = session.cookie ?? '';
    const abort = new AbortController();
    const gone = session.fetch('/auth/refresh', { method: 'POST', signal: abort.signal }).catch((error: Error) => error.name);
    await whenRotated;
    abort.abort();
    expect(await gone).toBe('AbortError');
    await new Promise((resolve) => setTimeout(resolve, 50)); // the server sees the socket close
    goOn();
    await Promise.race([whenUndone, new Promise((resolve) => setTimeout(resolve, 1000))]);
    const next = await session.refreshWith(kept);
    expect(next.status).toBe(200);
    expect(stats.refreshReused).toBe(0);
  });
});
