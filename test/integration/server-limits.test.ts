import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../playground/store/memory-store';
import { loggedIn, Session, startServer } from '../helpers/server-client';

/**
 * What one user can make the server hold is capped (StoreLimits): past a cap the request gets 429
 * naming it, and nothing already stored is lost. `GET /api/posts` answers one page at a time.
 */

const errorOf = async (res: Response): Promise<{ error: string; message: string }> =>
  (await res.json()) as { error: string; message: string };

describe('reference server: limits per user', () => {
  it('answers GET /api/posts 100 posts at a time, with a cursor for the next page', async () => {
    const { url } = await startServer();
    const session = await loggedIn(url);
    for (let i = 0; i < 101; i += 1) expect((await session.createPost({ title: `p${i}` })).status).toBe(201);
    const first = (await (await session.fetch('/api/posts')).json()) as { posts: Array<{ title: string }>; next: string };
    expect(first.posts).toHaveLength(100);
    expect(first.posts[0]?.title).toBe('p0');
    const second = (await (await session.fetch(`/api/posts?after=${first.next}`)).json()) as { posts: Array<{ title: string }>; next: null };
    expect(second).toEqual({ posts: [expect.objectContaining({ title: 'p100' })], next: null });
    const small = (await (await session.fetch('/api/posts?limit=2')).json()) as { posts: unknown[] };
    expect(small.posts).toHaveLength(2);
    const max = '18446744073709551615'; // 2^64 - 1: larger parts, or the very last id, are not cursors (issue 18)
    for (const query of ['?limit=0', '?limit=101', '?limit=x', '?after=abc', '?after=1;2', '?after=99999999999999999999', `?after=${max}-${max}`, `?after=${max}`]) {
      const res = await session.fetch(`/api/posts${query}`);
      expect(res.status, query).toBe(400);
    }
  });

  it('refuses a login past sessionsPerUser with 429 session_limit_reached; the live sessions keep working', async () => {
    const { url } = await startServer({ store: createMemoryStore({ limits: { sessionsPerUser: 2 } }) });
    const first = await loggedIn(url);
    const second = await loggedIn(url);
    const third = new Session(url);
    const refused = await third.login();
    expect(refused.status).toBe(429);
    expect(await errorOf(refused)).toEqual({ error: 'session_limit_reached', message: expect.stringContaining('At most 2 sessions') });
    expect((await first.refresh()).status).toBe(200);
    expect((await second.logout()).status).toBe(204);
    expect((await third.login()).status).toBe(200);
  });

  it('refuses a post past postsPerUser with 429 post_limit_reached, keeps the stored posts and frees its key', async () => {
    const { url } = await startServer({ store: createMemoryStore({ limits: { postsPerUser: 2 } }) });
    const session = await loggedIn(url);
    await session.createPost({ title: 'a' });
    await session.createPost({ title: 'b' });
    const refused = await session.createPost({ title: 'c' }, { 'idempotency-key': 'k-c' });
    expect(refused.status).toBe(429);
    expect(await errorOf(refused)).toEqual({ error: 'post_limit_reached', message: expect.stringContaining('At most 2 posts') });
    const list = (await (await session.fetch('/api/posts')).json()) as { posts: Array<{ title: string }> };
    expect(list.posts.map((post) => post.title)).toEqual(['a', 'b']);
    // The refusal was not stored as the key's answer: the same key is refused again, not replayed.
    const again = await session.createPost({ title: 'c' }, { 'idempotency-key': 'k-c' });
    expect(again.status).toBe(429);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });

  it('refuses a new Idempotency-Key past idempotencyKeysPerUser with 429; a known key still replays', async () => {
    const { url } = await startServer({ store: createMemoryStore({ limits: { idempotencyKeysPerUser: 2 } }) });
    const session = await loggedIn(url);
    expect((await session.createPost({ title: 'a' }, { 'idempotency-key': 'k-1' })).status).toBe(201);
    expect((await session.createPost({ title: 'b' }, { 'idempotency-key': 'k-2' })).status).toBe(201);
    const refused = await session.createPost({ title: 'c' }, { 'idempotency-key': 'k-3' });
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).error).toBe('idempotency_key_limit_reached');
    const replay = await session.createPost({ title: 'a' }, { 'idempotency-key': 'k-1' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await session.createPost({ title: 'no key' })).status).toBe(201);
  });
});
