import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROTATED_TOKENS_KEPT, type RotateRequest, type Store, type StoreLimits } from '../../playground/store/store';
import { sleep } from './wait.js';

/**
 * The Store contract, one suite run against every implementation (memory and Redis), so the
 * server behaves the same whichever store it is given.
 */

const HOUR = 3600_000;

const newPost = (author: string, title: string) => ({ id: randomUUID(), author, title, body: '', createdAt: new Date().toISOString() });

export function storeContract(name: string, makeStore: (limits?: Partial<StoreLimits>) => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    async function family(overrides: { familyExpiresAt?: number; tokenExpiresAt?: number } = {}) {
      const now = Date.now();
      const ids = { familyId: randomUUID(), userId: 'alice', tokenHash: randomUUID() };
      await store.createFamily({
        ...ids,
        familyExpiresAt: overrides.familyExpiresAt ?? now + 24 * HOUR,
        tokenExpiresAt: overrides.tokenExpiresAt ?? now + HOUR,
      });
      return ids;
    }

    const rotation = (presentedHash: string, graceMs = 10_000): RotateRequest => {
      const successorHash = randomUUID();
      return { presentedHash, successorHash, successorSealed: `sealed-${successorHash}`, now: Date.now(), refreshTtlMs: HOUR, graceMs };
    };

    it('rotates a current token once, sliding its expiry', async () => {
      const { familyId, tokenHash } = await family();
      const request = rotation(tokenHash);
      const outcome = await store.rotateRefreshToken(request);
      expect(outcome).toEqual({ kind: 'rotated', session: { userId: 'alice', familyId, expiresAt: request.now + HOUR } });
      expect((await store.rotateRefreshToken(rotation(request.successorHash))).kind).toBe('rotated');
    });

    it('caps the sliding expiry at the end of the family', async () => {
      const familyExpiresAt = Date.now() + 60_000;
      const { tokenHash } = await family({ familyExpiresAt, tokenExpiresAt: familyExpiresAt });
      const outcome = await store.rotateRefreshToken(rotation(tokenHash));
      expect(outcome).toMatchObject({ kind: 'rotated', session: { expiresAt: familyExpiresAt } });
    });

    it('answers unknown and expired tokens with invalid', async () => {
      expect(await store.rotateRefreshToken(rotation('nope'))).toEqual({ kind: 'invalid' });
      const { tokenHash } = await family({ tokenExpiresAt: Date.now() + 30 });
      await sleep(80);
      expect(await store.rotateRefreshToken(rotation(tokenHash))).toEqual({ kind: 'invalid' });
    });

    it('within the grace window, hands out the same sealed successor', async () => {
      const { tokenHash } = await family();
      const first = rotation(tokenHash);
      await store.rotateRefreshToken(first);
      const again = await store.rotateRefreshToken(rotation(tokenHash));
      expect(again).toMatchObject({ kind: 'grace', successorSealed: first.successorSealed, session: { expiresAt: first.now + HOUR } });
    });

    it('within the grace window, answers with the newest token even after it was rotated again', async () => {
      const { tokenHash } = await family();
      const first = rotation(tokenHash);
      await store.rotateRefreshToken(first);
      const second = rotation(first.successorHash);
      await store.rotateRefreshToken(second);
      // A late request with the first token must not get the first successor (already rotated):
      // its cookie would overwrite the newer one, and the next refresh would look like reuse.
      const late = await store.rotateRefreshToken(rotation(tokenHash));
      expect(late).toMatchObject({ kind: 'grace', successorSealed: second.successorSealed, session: { expiresAt: second.now + HOUR } });
      expect((await store.rotateRefreshToken(rotation(second.successorHash))).kind).toBe('rotated');
    });

    it(`remembers the last ${ROTATED_TOKENS_KEPT} rotated tokens of a session, and forgets older ones`, async () => {
      const { tokenHash } = await family();
      const hashes: string[] = [tokenHash];
      for (let i = 0; i <= ROTATED_TOKENS_KEPT; i += 1) {
        const next = rotation(hashes[hashes.length - 1] ?? '', 0);
        expect((await store.rotateRefreshToken(next)).kind).toBe('rotated');
        hashes.push(next.successorHash);
      }
      // The first was rotated ROTATED_TOKENS_KEPT + 1 rotations ago: unknown, no revocation.
      expect(await store.rotateRefreshToken(rotation(tokenHash, 0))).toEqual({ kind: 'invalid' });
      expect((await store.rotateRefreshToken(rotation(hashes[1] ?? '', 0))).kind).toBe('reused');
    });

    it('after the grace window, revokes the family once and every descendant with it', async () => {
      const { familyId, tokenHash } = await family();
      const first = rotation(tokenHash, 30);
      await store.rotateRefreshToken(first);
      const second = rotation(first.successorHash, 30);
      await store.rotateRefreshToken(second);
      await sleep(80);
      expect(await store.rotateRefreshToken(rotation(tokenHash))).toEqual({ kind: 'reused', userId: 'alice', familyId });
      // A revoked session is gone: none of its tokens is known any more, nor revoked twice.
      expect(await store.rotateRefreshToken(rotation(second.successorHash))).toEqual({ kind: 'invalid' });
      expect(await store.rotateRefreshToken(rotation(tokenHash))).toEqual({ kind: 'invalid' });
    });

    it('with grace 0, a second presentation is reuse at once', async () => {
      const { tokenHash } = await family();
      await store.rotateRefreshToken(rotation(tokenHash, 0));
      expect(await store.rotateRefreshToken(rotation(tokenHash, 0))).toMatchObject({ kind: 'reused' });
    });

    it('20 concurrent rotations of one token produce exactly one successor', async () => {
      const { tokenHash } = await family();
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.rotateRefreshToken(rotation(tokenHash))));
      const rotated = outcomes.filter((o) => o.kind === 'rotated');
      expect(rotated).toHaveLength(1);
      const sealed = new Set(outcomes.map((o) => (o.kind === 'grace' ? o.successorSealed : 'first')));
      expect(outcomes.filter((o) => o.kind === 'grace')).toHaveLength(19);
      expect(sealed.size).toBe(2); // 'first' plus the one successor everybody else got
    });

    it('undoes a rotation whose answer was lost: the presented token is current again', async () => {
      const { tokenHash } = await family();
      const lost = rotation(tokenHash, 0);
      await store.rotateRefreshToken(lost);
      await store.undoRotation(tokenHash, lost.successorHash);
      expect(await store.rotateRefreshToken(rotation(lost.successorHash, 0))).toEqual({ kind: 'invalid' });
      const retry = rotation(tokenHash, 0);
      expect(await store.rotateRefreshToken(retry)).toMatchObject({ kind: 'rotated', session: { expiresAt: retry.now + HOUR } });
    });

    it('keeps a rotation whose successor was handed out by a grace answer or rotated since', async () => {
      const shared = await family();
      const first = rotation(shared.tokenHash);
      await store.rotateRefreshToken(first);
      expect((await store.rotateRefreshToken(rotation(shared.tokenHash))).kind).toBe('grace');
      await store.undoRotation(shared.tokenHash, first.successorHash);
      expect((await store.rotateRefreshToken(rotation(first.successorHash))).kind).toBe('rotated');

      const used = await family();
      const second = rotation(used.tokenHash, 0);
      await store.rotateRefreshToken(second);
      const third = rotation(second.successorHash, 0);
      await store.rotateRefreshToken(third);
      await store.undoRotation(used.tokenHash, second.successorHash);
      expect((await store.rotateRefreshToken(rotation(third.successorHash, 0))).kind).toBe('rotated');
    });

    it('waits with an undo while a grace answer is out, and runs it when that answer is lost too (issue 18)', async () => {
      const { tokenHash } = await family();
      const lost = rotation(tokenHash);
      await store.rotateRefreshToken(lost);
      const grace = await store.rotateRefreshToken(rotation(tokenHash));
      expect(grace).toMatchObject({ kind: 'grace', successorHash: lost.successorHash });
      // The rotation's answer is lost while the grace answer is still being written: no undo yet.
      expect(await store.undoRotation(tokenHash, lost.successorHash)).toBe(false);
      // The grace answer is lost too: nobody received the successor, so the rotation is taken back.
      expect(await store.graceAnswerLost(lost.successorHash)).toBe(true);
      expect(await store.rotateRefreshToken(rotation(lost.successorHash))).toEqual({ kind: 'invalid' });
      expect((await store.rotateRefreshToken(rotation(tokenHash, 0))).kind).toBe('rotated');
    });

    it('undoes a rotation whose grace answers were all lost first; keeps one while any is out', async () => {
      const first = await family();
      const lost = rotation(first.tokenHash);
      await store.rotateRefreshToken(lost);
      await store.rotateRefreshToken(rotation(first.tokenHash));
      expect(await store.graceAnswerLost(lost.successorHash)).toBe(false); // no undo was waiting
      expect(await store.undoRotation(first.tokenHash, lost.successorHash)).toBe(true);

      const second = await family();
      const kept = rotation(second.tokenHash);
      await store.rotateRefreshToken(kept);
      await store.rotateRefreshToken(rotation(second.tokenHash));
      await store.rotateRefreshToken(rotation(second.tokenHash));
      expect(await store.undoRotation(second.tokenHash, kept.successorHash)).toBe(false);
      expect(await store.graceAnswerLost(kept.successorHash)).toBe(false); // the other grace answer was delivered
      expect((await store.rotateRefreshToken(rotation(kept.successorHash))).kind).toBe('rotated');
    });

    it('takes back a login whose answer was lost: its token is unknown and its slot free (issue 18)', async () => {
      const { tokenHash } = await family();
      await store.revokeFamilyOf(tokenHash);
      expect(await store.rotateRefreshToken(rotation(tokenHash))).toEqual({ kind: 'invalid' });
    });

    it('revokes a family on logout, grace replays included', async () => {
      const { tokenHash } = await family();
      const first = rotation(tokenHash);
      await store.rotateRefreshToken(first);
      await store.revokeFamilyOf(first.successorHash);
      expect(await store.rotateRefreshToken(rotation(first.successorHash))).toEqual({ kind: 'invalid' });
      expect(await store.rotateRefreshToken(rotation(tokenHash))).toEqual({ kind: 'invalid' });
      await store.revokeFamilyOf('unknown'); // harmless
    });

    it('claims an idempotency key once, then reports in flight, done, or free again', async () => {
      const key = randomUUID();
      expect(await store.claimIdempotencyKey('alice', key, 'fp1', 60_000)).toEqual({ kind: 'claimed' });
      expect(await store.claimIdempotencyKey('alice', key, 'fp2', 60_000)).toEqual({ kind: 'in_flight', fingerprint: 'fp1' });
      await store.completeIdempotencyKey('alice', key, 'fp1', { status: 201, body: '{"id":1}' }, 60_000);
      expect(await store.claimIdempotencyKey('alice', key, 'fp1', 60_000)).toEqual({
        kind: 'done',
        fingerprint: 'fp1',
        response: { status: 201, body: '{"id":1}' },
      });
      await store.releaseIdempotencyKey('alice', key);
      expect(await store.claimIdempotencyKey('alice', key, 'fp1', 60_000)).toEqual({ kind: 'claimed' });
    });

    it('frees an abandoned in-flight claim when it expires', async () => {
      const key = randomUUID();
      await store.claimIdempotencyKey('alice', key, 'fp', 30);
      await sleep(80);
      expect(await store.claimIdempotencyKey('alice', key, 'fp', 60_000)).toEqual({ kind: 'claimed' });
    });

    it('50 concurrent claims of one key: exactly one wins', async () => {
      const key = randomUUID();
      const claims = await Promise.all(Array.from({ length: 50 }, () => store.claimIdempotencyKey('alice', key, 'fp', 60_000)));
      expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
    });

    it('keeps posts per author, in order, one page at a time', async () => {
      const author = `user-${randomUUID()}`;
      const posts = ['a', 'b', 'c', 'd', 'e'].map((title) => newPost(author, title));
      for (const post of posts) expect(await store.addPost(post, HOUR)).toEqual({ kind: 'added' });
      const first = await store.listPosts(author, { limit: 2 });
      expect(first.posts).toEqual(posts.slice(0, 2));
      const second = await store.listPosts(author, { after: first.next ?? '', limit: 2 });
      expect(second.posts).toEqual(posts.slice(2, 4));
      const last = await store.listPosts(author, { after: second.next ?? '', limit: 2 });
      expect(last).toEqual({ posts: posts.slice(4), next: null });
      expect(await store.listPosts(author, { limit: 5 })).toEqual({ posts, next: null });
      expect(await store.listPosts('nobody', { limit: 5 })).toEqual({ posts: [], next: null });
    });

    it('writes a post and completes its Idempotency-Key in one step (issue 18)', async () => {
      const author = `user-${randomUUID()}`;
      const key = randomUUID();
      expect(await store.claimIdempotencyKey(author, key, 'fp', 60_000)).toEqual({ kind: 'claimed' });
      const post = newPost(author, 'once');
      const response = { status: 201, body: JSON.stringify(post) };
      expect(await store.addPost(post, HOUR, { userId: author, key, fingerprint: 'fp', response, ttlMs: HOUR })).toEqual({ kind: 'added' });
      expect(await store.claimIdempotencyKey(author, key, 'fp', 60_000)).toEqual({ kind: 'done', fingerprint: 'fp', response });
      expect((await store.listPosts(author, { limit: 5 })).posts).toEqual([post]);
    });

    it("pages with cursors that say nothing about other users' posts, and answers the last possible cursor with an empty page", async () => {
      const alice = `alice-${randomUUID()}`;
      const bob = `bob-${randomUUID()}`;
      await store.addPost(newPost(alice, 'a1'), HOUR);
      const before = (await store.listPosts(alice, { limit: 5 })).posts;
      for (const title of ['b1', 'b2', 'b3', 'b4', 'b5']) await store.addPost(newPost(bob, title), HOUR);
      await store.addPost(newPost(alice, 'a2'), HOUR);
      const first = await store.listPosts(alice, { limit: 1 });
      const rest = await store.listPosts(alice, { after: first.next ?? '', limit: 5 });
      expect([...first.posts, ...rest.posts].map((post) => post.title)).toEqual(['a1', 'a2']);
      expect(before.map((post) => post.title)).toEqual(['a1']);
      const max = '18446744073709551615';
      expect(await store.listPosts(alice, { after: `${max}-${max.slice(0, -1)}4`, limit: 5 })).toEqual({ posts: [], next: null });
    });

    it('counts failed logins per key, with a delay that doubles up to its ceiling, and forgets them on success', async () => {
      const rule = { freeAttempts: 2, baseDelayMs: 1000, maxDelayMs: 3000, forgetAfterMs: 60_000 };
      const key = `user:${randomUUID()}`;
      const now = Date.now();
      expect(await store.loginFailuresOf(key, now)).toEqual({ count: 0, retryAfterMs: 0 });
      await store.recordLoginFailure(key, rule, now);
      expect(await store.loginFailuresOf(key, now)).toEqual({ count: 1, retryAfterMs: 0 });
      const delays: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        await store.recordLoginFailure(key, rule, now);
        delays.push((await store.loginFailuresOf(key, now)).retryAfterMs);
      }
      expect(delays).toEqual([1000, 2000, 3000, 3000]);
      expect(await store.loginFailuresOf(key, now + 3000)).toEqual({ count: 5, retryAfterMs: 0 });
      expect((await store.loginFailuresOf(`user:${randomUUID()}`, now)).count).toBe(0);
      await store.clearLoginFailures(key);
      expect(await store.loginFailuresOf(key, now)).toEqual({ count: 0, retryAfterMs: 0 });
    });

    it('forgets failed logins after forgetAfterMs', async () => {
      const key = `addr:${randomUUID()}`;
      await store.recordLoginFailure(key, { freeAttempts: 5, baseDelayMs: 1000, maxDelayMs: 1000, forgetAfterMs: 30 }, Date.now());
      await sleep(80);
      expect(await store.loginFailuresOf(key, Date.now())).toEqual({ count: 0, retryAfterMs: 0 });
    });

    it('drops posts when their time is up', async () => {
      const author = `user-${randomUUID()}`;
      await store.addPost(newPost(author, 'short'), 30);
      await sleep(80);
      expect(await store.listPosts(author, { limit: 5 })).toEqual({ posts: [], next: null });
    });

    it('claims a DPoP proof id once, concurrently too, until its expiry', async () => {
      const id = randomUUID();
      const claims = await Promise.all([1, 2, 3].map(() => store.claimProofJti(id, Date.now() + 60_000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimProofJti(id, Date.now() + 60_000)).toBe(false);
      expect(await store.claimProofJti(randomUUID(), Date.now() + 60_000)).toBe(true);
      const short = randomUUID();
      expect(await store.claimProofJti(short, Date.now() + 30)).toBe(true);
      await sleep(80);
      expect(await store.claimProofJti(short, Date.now() + 30)).toBe(true);
    });
  });

  describe(`Store contract: ${name}, limits per user`, () => {
    const limits = { sessionsPerUser: 2, postsPerUser: 3, idempotencyKeysPerUser: 2 };
    let store: Store;
    beforeEach(async () => {
      store = await makeStore(limits);
    });
    afterEach(async () => {
      await store.close();
    });

    const login = (userId: string, tokenExpiresAt = Date.now() + HOUR) =>
      store.createFamily({ familyId: randomUUID(), userId, tokenHash: randomUUID(), familyExpiresAt: Date.now() + 24 * HOUR, tokenExpiresAt });

    it('refuses a session past sessionsPerUser, keeps the others, and counts only live ones', async () => {
      const user = `user-${randomUUID()}`;
      expect(await login(user, Date.now() + 30)).toEqual({ kind: 'created' });
      expect(await login(user)).toEqual({ kind: 'created' });
      expect(await login(user)).toEqual({ kind: 'limit_reached', limit: 'sessionsPerUser', max: 2 });
      expect(await login(`other-${randomUUID()}`)).toEqual({ kind: 'created' });
      await sleep(80); // the first session's token expired: it no longer counts
      expect(await login(user)).toEqual({ kind: 'created' });
    });

    it('frees a session slot on logout', async () => {
      const user = `user-${randomUUID()}`;
      const hash = randomUUID();
      await store.createFamily({ familyId: randomUUID(), userId: user, tokenHash: hash, familyExpiresAt: Date.now() + HOUR, tokenExpiresAt: Date.now() + HOUR });
      await login(user);
      expect((await login(user)).kind).toBe('limit_reached');
      await store.revokeFamilyOf(hash);
      expect((await login(user)).kind).toBe('created');
    });

    it('refuses a post past postsPerUser and keeps the stored ones', async () => {
      const author = `user-${randomUUID()}`;
      const posts = ['a', 'b', 'c'].map((title) => newPost(author, title));
      for (const post of posts) await store.addPost(post, HOUR);
      expect(await store.addPost(newPost(author, 'd'), HOUR)).toEqual({ kind: 'limit_reached', limit: 'postsPerUser', max: 3 });
      expect((await store.listPosts(author, { limit: 10 })).posts).toEqual(posts);
    });

    it('refuses a new idempotency key past idempotencyKeysPerUser; known keys still answer', async () => {
      const user = `user-${randomUUID()}`;
      await store.claimIdempotencyKey(user, 'k1', 'fp', HOUR);
      await store.completeIdempotencyKey(user, 'k1', 'fp', { status: 201, body: '{}' }, HOUR);
      await store.claimIdempotencyKey(user, 'k2', 'fp', HOUR);
      expect(await store.claimIdempotencyKey(user, 'k3', 'fp', HOUR)).toEqual({
        kind: 'limit_reached',
        limit: 'idempotencyKeysPerUser',
        max: 2,
      });
      expect((await store.claimIdempotencyKey(user, 'k1', 'fp', HOUR)).kind).toBe('done');
      expect((await store.claimIdempotencyKey(`other-${randomUUID()}`, 'k3', 'fp', HOUR)).kind).toBe('claimed');
      await store.releaseIdempotencyKey(user, 'k2');
      expect((await store.claimIdempotencyKey(user, 'k3', 'fp', HOUR)).kind).toBe('claimed');
    });
  });
}
