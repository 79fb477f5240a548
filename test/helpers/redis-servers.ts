import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import type { StartOptions } from '../../playground/config';
import { connectRedisStore } from '../../playground/store/redis-store';
import type { Store } from '../../playground/store/store';
import { startServer } from './server-client';

/**
 * Server instances on one Redis, each with its own connection, as separate processes would be.
 * They share a key prefix per test; servers close after the test (server-client's hook), stores here.
 */

const stores: Store[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function startInstances(redisUrl: string, count: number, options: StartOptions) {
  const prefix = `srv-${randomUUID()}:`;
  return Promise.all(
    Array.from({ length: count }, async () => {
      const store = await connectRedisStore(redisUrl, { prefix });
      stores.push(store);
      return startServer({ ...options, store });
    }),
  );
}

type Running = Awaited<ReturnType<typeof startServer>>;

/** Two instances, A and B, on one Redis. */
export async function startPair(redisUrl: string, options: StartOptions = {}): Promise<[Running, Running]> {
  const [a, b] = await startInstances(redisUrl, 2, options);
  if (!a || !b) throw new Error('startPair: instances missing');
  return [a, b];
}

export async function startOne(redisUrl: string, options: StartOptions = {}): Promise<Running> {
  const [server] = await startInstances(redisUrl, 1, options);
  if (!server) throw new Error('startOne: instance missing');
  return server;
}
