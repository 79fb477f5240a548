import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedisStore } from '../../playground/store/redis-store';
import { startRedis, type TestRedis } from '../../harness/redis';
import { storeContract } from '../helpers/server-store-contract';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// Each test gets its own key prefix on the one throwaway Redis.
storeContract('redis', (limits) => connectRedisStore(redis.url, { prefix: `t-${randomUUID()}:`, ...(limits ? { limits } : {}) }));

describe('Redis store: connecting', () => {
  it('fails fast with an error naming REDIS_URL when nothing listens', async () => {
    await expect(connectRedisStore('redis://127.0.0.1:1')).rejects.toThrow(/REDIS_URL redis:\/\/127\.0\.0\.1:1/);
  });

  it('refuses a URL that is not a Redis URL', async () => {
    await expect(connectRedisStore('http://127.0.0.1:1')).rejects.toThrow(/REDIS_URL/);
  });

  it('hides the password in errors', async () => {
    await expect(connectRedisStore('redis://user:hunter2@127.0.0.1:1')).rejects.toThrow(/\/\/\*\*\*@127/);
  });

  it('leaves no key without an expiry', async () => {
    const prefix = `ttl-${randomUUID()}:`;
    const store = await connectRedisStore(redis.url, { prefix });
    const now = Date.now();
    await store.createFamily({ familyId: 'f', userId: 'alice', tokenHash: 'h0', familyExpiresAt: now + 86_400_000, tokenExpiresAt: now + 3_600_000 });
    await store.rotateRefreshToken({ presentedHash: 'h0', successorHash: 'h1', successorSealed: 's', now, refreshTtlMs: 3_600_000, graceMs: 10_000 });
    await store.claimIdempotencyKey('alice', 'k', 'fp', 60_000);
    await store.claimIdempotencyKey('alice', 'k2', 'fp', 60_000);
    await store.completeIdempotencyKey('alice', 'k2', 'fp', { status: 201, body: '{}' }, 60_000);
    await store.claimIdempotencyKey('bob', 'k', 'fp', 60_000); // a claim that never completes
    await store.addPost({ id: '1', author: 'alice', title: 't', body: '', createdAt: '' }, 60_000);
    await store.close();

    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const keys = await raw.keys(`${prefix}*`);
      // tok×2 (index), fam, rotated, sealed, sessions, idem×2 + idem-keys (alice), idem + idem-keys (bob), posts
      expect(keys.length).toBe(12);
      for (const key of keys) expect(await raw.pTTL(key), key).toBeGreaterThan(0);
    } finally {
      await raw.close();
    }
  });
});
