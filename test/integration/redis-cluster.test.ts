import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedisStore } from '../../playground/store/redis-store';
import type { StoreLimits } from '../../playground/store/store';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster';
import { storeContract } from '../helpers/server-store-contract';
import { loggedIn, startServer } from '../helpers/server-client';

/**
 * The Redis store on a real three-master Redis Cluster: every multi-key script must keep its keys
 * in one slot (the user's hash tag), or the cluster refuses it with CROSSSLOT.
 */

let cluster: TestRedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

const connect = (limits?: Partial<StoreLimits>) =>
  connectRedisStore(cluster.urls.join(','), { cluster: true, prefix: `c-${randomUUID()}:`, ...(limits ? { limits } : {}) });

storeContract('redis cluster', connect);

describe('Redis store on a cluster: the server end to end', () => {
  it('logs in, rotates, replays within grace, detects reuse and logs out', async () => {
    const store = await connect();
    try {
      const { url, stats } = await startServer({ store, reuseGrace: 0 });
      const session = await loggedIn(url);
      const first = session.cookie ?? '';
      expect((await session.refresh()).status).toBe(200);
      expect((await session.createPost({ title: 'on a cluster' }, { 'idempotency-key': 'c-1' })).status).toBe(201);
      expect((await session.fetch('/api/posts')).status).toBe(200);
      expect((await session.refreshWith(first)).status).toBe(401);
      expect(stats.refreshReused).toBe(1);
      const other = await loggedIn(url);
      expect((await other.logout()).status).toBe(204);
      expect((await other.refresh()).status).toBe(401);
    } finally {
      await store.close();
    }
  });
});
