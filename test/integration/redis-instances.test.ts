import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../harness/redis';
import { startPair } from '../helpers/redis-servers';
import { ALICE, Session, loggedIn, loginFrom, refreshCookieOf } from '../helpers/server-client';

/** Two server instances on different ports sharing one Redis behave as one server. */

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('Redis store: two instances, one Redis', () => {
  it('login on A, refresh on B, reuse on A after the grace window → family revoked on both', async () => {
    const [a, b] = await startPair(redis.url, { reuseGrace: 1 });
    const onA = await loggedIn(a.url);
    const original = onA.cookie ?? '';
    const onB = new Session(b.url);
    onB.cookie = original;
    const rotated = await onB.refresh();
    expect(rotated.status).toBe(200);
    // The access token B issued works on A: they share JWT_SECRET.
    expect((await onA.fetch('/api/me', { headers: { authorization: `Bearer ${onB.accessToken}` } })).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 1100)); // let the 1 s grace window pass
    const reuse = await onA.refreshWith(original);
    expect(reuse.status).toBe(401);
    expect(((await reuse.json()) as { error: string }).error).toBe('refresh_token_reused');
    expect(a.stats.refreshReused).toBe(1);

    for (const server of [a, b]) {
      const res = await new Session(server.url).refreshWith(onB.cookie ?? '');
      expect(res.status).toBe(401);
    }
  });

  it('20 concurrent refreshes with one cookie split across A and B → one successor, no revocation', async () => {
    const [a, b] = await startPair(redis.url, { reuseGrace: 60 });
    const session = await loggedIn(a.url);
    const cookie = session.cookie ?? '';
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => new Session(i % 2 ? b.url : a.url).refreshWith(cookie)),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(20).fill(200));
    const successors = new Set(answers.map(refreshCookieOf));
    expect(successors.size).toBe(1);
    expect(a.stats.refreshRotations + b.stats.refreshRotations).toBe(1);
    expect(a.stats.refreshGraceReplays + b.stats.refreshGraceReplays).toBe(19);
    expect(a.stats.refreshReused + b.stats.refreshReused).toBe(0);
    const [successor = ''] = successors;
    expect((await session.refreshWith(successor)).status).toBe(200);
  });

  it('50 concurrent POSTs with one Idempotency-Key split across A and B → exactly one post', async () => {
    const [a, b] = await startPair(redis.url, { postDelayMs: 50 });
    const session = await loggedIn(a.url);
    const token = session.accessToken ?? '';
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${i % 2 ? b.url : a.url}/api/posts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'split-50' },
          body: JSON.stringify({ title: 'once' }),
        }),
      ),
    );
    expect(answers.every((res) => res.status === 201 || res.status === 409)).toBe(true);
    expect(a.stats.postsCreated + b.stats.postsCreated).toBe(1);
    const list = (await (await session.fetch('/api/posts')).json()) as { posts: unknown[] };
    expect(list.posts).toHaveLength(1);
    // After the first finished, a repeat on either instance is a replay of the same post.
    const replay = await new Session(b.url).fetch('/api/posts', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'split-50' },
      body: JSON.stringify({ title: 'once' }),
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('logout on B ends the session on A, and its access token', async () => {
    const [a, b] = await startPair(redis.url);
    const session = await loggedIn(a.url);
    const cookie = session.cookie ?? '';
    const onB = new Session(b.url);
    onB.cookie = cookie;
    onB.accessToken = session.accessToken;
    const out = await onB.fetch('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${session.accessToken}` } });
    expect(out.status).toBe(204);
    expect((await session.refreshWith(cookie)).status).toBe(401);
    const me = await session.fetch('/api/me');
    expect(me.status).toBe(401);
    expect(((await me.json()) as { error: string }).error).toBe('token_revoked');
  });

  it('share the login throttle: failures on A make B answer 429 too (issue 18)', async () => {
    const [a, b] = await startPair(redis.url);
    for (let i = 0; i < 5; i += 1) expect((await loginFrom(a.url, '127.0.0.1', { ...ALICE, password: 'wrong' })).status).toBe(401);
    expect(await loginFrom(b.url, '127.0.0.1', ALICE)).toMatchObject({ status: 429, error: 'login_throttled' });
    expect((await loginFrom(b.url, '127.0.0.2', ALICE)).status).toBe(200); // an address without failures
  });
});
