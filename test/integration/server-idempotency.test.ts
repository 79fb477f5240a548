import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../playground/store/memory-store';
import type { Store } from '../../playground/store/store';
import { loggedIn, rawExchange, startServer } from '../helpers/server-client';

/** The IETF Idempotency-Key draft on POST /api/posts. */
describe('reference server: Idempotency-Key', () => {
  it('creates a post (201) and lists it', async () => {
    const { url, stats } = await startServer();
    const session = await loggedIn(url);
    const res = await session.createPost({ title: 'Hello', body: 'World' });
    expect(res.status).toBe(201);
    const post = (await res.json()) as Record<string, unknown>;
    expect(post).toMatchObject({ id: expect.any(String), author: 'alice', title: 'Hello', body: 'World' });
    const list = (await (await session.fetch('/api/posts')).json()) as { posts: unknown[] };
    expect(list.posts).toEqual([post]);
    expect(stats.postsCreated).toBe(1);
  });

  it('keeps posts per user', async () => {
    const { url } = await startServer();
    const alice = await loggedIn(url);
    await alice.createPost({ title: 'mine' });
    const bob = await loggedIn(url);
    await bob.login({ username: 'bob', password: 'builder' });
    expect(await (await bob.fetch('/api/posts')).json()).toEqual({ posts: [], next: null });
  });

  it.each([
    ['malformed JSON', '{"title":'],
    ['no title', JSON.stringify({ body: 'x' })],
    ['an empty title', JSON.stringify({ title: '' })],
    ['a non-string body', JSON.stringify({ title: 't', body: 5 })],
  ])('answers 400 to %s', async (_, body) => {
    const { url } = await startServer();
    const res = await (await loggedIn(url)).createPost(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('bad_request');
  });

  it('replays the stored response for a repeated key and payload', async () => {
    const { url, stats } = await startServer();
    const session = await loggedIn(url);
    const headers = { 'idempotency-key': '"k-1"' };
    const first = await session.createPost({ title: 'once' }, headers);
    const again = await session.createPost({ title: 'once' }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(await again.json()).toEqual(await first.json());
    expect(stats).toMatchObject({ postsCreated: 1, idempotentReplays: 1 });
  });

  it('answers 422 for the same key with a different payload', async () => {
    const { url } = await startServer();
    const session = await loggedIn(url);
    await session.createPost({ title: 'a' }, { 'idempotency-key': 'k-2' });
    const res = await session.createPost({ title: 'b' }, { 'idempotency-key': 'k-2' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toBe('idempotency_key_reused');
  });

  it('answers 409 while the first request with the key is still running', async () => {
    // Hold the first request between "key claimed" and "post written and key completed" (one store
    // step) with a gate in the store, so "in flight" is certain rather than a matter of timing.
    const inner = createMemoryStore();
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const store: Store = {
      ...inner,
      async addPost(...args) {
        entered();
        await gate;
        return inner.addPost(...args);
      },
    };
    const { url, stats } = await startServer({ store });
    const session = await loggedIn(url);
    const headers = { 'idempotency-key': 'k-3' };
    const first = session.createPost({ title: 'slow' }, headers);
    await inside;
    const second = await session.createPost({ title: 'slow' }, headers);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: string }).error).toBe('request_in_progress');
    const mismatch = await session.createPost({ title: 'other' }, headers);
    expect(mismatch.status).toBe(422);
    release();
    expect((await first).status).toBe(201);
    expect(stats.postsCreated).toBe(1);
  });

  it('50 concurrent identical POSTs with one key create exactly one post', async () => {
    const { url, stats } = await startServer({ postDelayMs: 50 });
    const session = await loggedIn(url);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => session.createPost({ title: 'race' }, { 'idempotency-key': 'k-50' })),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const created = answers.filter((res) => res.status === 201 && !res.headers.get('idempotent-replayed'));
    expect(created).toHaveLength(1);
    expect(stats.postsCreated).toBe(1);
    const list = (await (await session.fetch('/api/posts')).json()) as { posts: unknown[] };
    expect(list.posts).toHaveLength(1);
  });

  it('scopes keys per user', async () => {
    const { url, stats } = await startServer();
    const alice = await loggedIn(url);
    const bob = await loggedIn(url);
    await bob.login({ username: 'bob', password: 'builder' });
    expect((await alice.createPost({ title: 'x' }, { 'idempotency-key': 'shared' })).status).toBe(201);
    const res = await bob.createPost({ title: 'x' }, { 'idempotency-key': 'shared' });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(stats.postsCreated).toBe(2);
  });

  it('runs POSTs without a key every time (not retry-safe) and refuses malformed keys', async () => {
    const { url, stats } = await startServer();
    const session = await loggedIn(url);
    await session.createPost({ title: 'x' });
    await session.createPost({ title: 'x' });
    expect(stats.postsCreated).toBe(2);
    const bad = await session.createPost({ title: 'x' }, { 'idempotency-key': 'x'.repeat(300) });
    expect(bad.status).toBe(400);
  });

  it.each([
    ['two header lines', ['Idempotency-Key: p', 'Idempotency-Key: q']],
    ['two quoted header lines', ['Idempotency-Key: "p"', 'Idempotency-Key: "q"']],
    ['two keys a proxy combined into one line', ['Idempotency-Key: p, q']],
  ])('refuses %s with 400 and runs nothing', async (_, keyLines) => {
    const { url, stats } = await startServer();
    const session = await loggedIn(url);
    const head = ['POST /api/posts HTTP/1.1', `Host: ${new URL(url).host}`, `Authorization: Bearer ${session.accessToken}`];
    const res = await rawExchange(url, [...head, 'Content-Type: application/json', ...keyLines], '{"title":"x"}');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_request', message: 'Send one `Idempotency-Key` header' });
    expect(stats.postsCreated).toBe(0);
  });

  it('accepts one quoted key that contains a comma', async () => {
    const { url, stats } = await startServer();
    const session = await loggedIn(url);
    const res = await session.createPost({ title: 'x' }, { 'idempotency-key': '"p, q"' });
    expect(res.status).toBe(201);
    expect(stats.postsCreated).toBe(1);
  });
});
