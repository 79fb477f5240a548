import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../harness/redis';
import { startOne } from '../helpers/redis-servers';
import { loggedIn } from '../helpers/server-client';

/** Redis going away must not crash the server: 503 `store_unavailable` while down, then recovery. */

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const expect503 = async (res: Response): Promise<void> => {
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ error: 'store_unavailable', message: expect.any(String) });
};

describe('Redis store: outage', () => {
  it('answers 503 store_unavailable while Redis is down and recovers by itself', async () => {
    const logs: string[] = [];
    const server = await startOne(redis.url, { log: (line) => logs.push(line) });
    const session = await loggedIn(server.url);
    expect((await session.fetch('/api/posts')).status).toBe(200);

    await redis.crash();
    await expect503(await session.fetch('/api/posts'));
    await expect503(await session.createPost({ title: 'x' }, { 'idempotency-key': 'during-outage' }));
    await expect503(await session.refresh());
    await expect503(await session.login());
    // Every API call asks the access-token denylist, and fails closed: a logged-out token must not
    // work again just because Redis is down.
    await expect503(await session.fetch('/api/me'));

    await redis.revive();
    // The client reconnects in the background; poll until it has (bounded by the test timeout).
    let status = 0;
    while (status !== 200) {
      const res = await session.fetch('/api/posts');
      status = res.status;
      if (status !== 200) await expect503(res);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Recovered. The old session died with Redis's data (no persistence); a new login works end to end.
    expect((await session.refresh()).status).toBe(401);
    const fresh = await loggedIn(server.url);
    expect((await fresh.refresh()).status).toBe(200);
    expect((await fresh.createPost({ title: 'after' }, { 'idempotency-key': 'during-outage' })).status).toBe(201);
    expect(logs.some((line) => line.includes('internal error'))).toBe(false);
    expect(logs.some((line) => line.startsWith('store unavailable'))).toBe(true);
  });
});

describe('Redis store: stall', () => {
  it('undoes a rotation Redis applied after the deadline, so the cookie the client kept still works', async () => {
    const server = await startOne(redis.url, { reuseGrace: 0 });
    const session = await loggedIn(server.url);
    const kept = session.cookie ?? '';
    redis.pause();
    try {
      await expect503(await session.refresh());
    } finally {
      redis.resume();
    }
    // Redis now runs the queued rotation; its answer arrives after the 503 and is taken back.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await session.refreshWith(kept);
    expect(next.status).toBe(200);
    expect(server.stats.refreshReused).toBe(0);
  });

  it('answers 503 within about 2 s while Redis is paused with the socket open, and recovers after', async () => {
    const server = await startOne(redis.url);
    const session = await loggedIn(server.url);
    redis.pause();
    try {
      const startedAt = Date.now();
      const answers = await Promise.all([session.fetch('/api/posts'), session.refresh(), session.login()]);
      for (const res of answers) await expect503(res);
      expect(Date.now() - startedAt).toBeLessThan(3000);
    } finally {
      redis.resume();
    }
    expect((await session.fetch('/api/posts')).status).toBe(200);
    expect((await loggedIn(server.url)).cookie).toBeDefined();
  });
});
