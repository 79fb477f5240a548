import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../playground/store/memory-store';
import { storeContract } from '../helpers/server-store-contract';
import { sleep } from '../helpers/wait.js';

storeContract('memory', async (limits) => createMemoryStore(limits ? { limits } : {}));

describe('memory store: what it holds', () => {
  it('drops the sealed successor when the grace window ends, without another call', async () => {
    const store = createMemoryStore();
    const now = Date.now();
    await store.createFamily({ familyId: 'f', userId: 'alice', tokenHash: 'h0', familyExpiresAt: now + 86_400_000, tokenExpiresAt: now + 3_600_000 });
    await store.rotateRefreshToken({ presentedHash: 'h0', successorHash: 'h1', successorSealed: 's1', now, refreshTtlMs: 3_600_000, graceMs: 30 });
    expect(store.held().sealedSuccessors).toBe(1);
    await sleep(80);
    expect(store.held().sealedSuccessors).toBe(0);
    await store.close();
  });

  it("numbers each user's posts on their own: Alice's cursor does not count Bob's posts (issue 18)", async () => {
    const store = createMemoryStore();
    const post = (author: string, title: string) => ({ id: title, author, title, body: '', createdAt: '' });
    await store.addPost(post('alice', 'a1'), 60_000);
    await store.addPost(post('alice', 'a2'), 60_000);
    for (const title of ['b1', 'b2', 'b3', 'b4', 'b5']) await store.addPost(post('bob', title), 60_000);
    await store.addPost(post('alice', 'a3'), 60_000);
    await store.addPost(post('alice', 'a4'), 60_000);
    const first = await store.listPosts('alice', { limit: 2 });
    const second = await store.listPosts('alice', { after: first.next ?? '', limit: 1 });
    // With one counter for all users, the second cursor would be "8": Bob made 5 posts meanwhile.
    expect([first.next, second.posts[0]?.title, second.next]).toEqual(['2', 'a3', '3']);
    await store.close();
  });
});
