import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RotateRequest, Store } from '../../playground/store';
import { sleep } from './wait.js';

/**
 * The Store contract, one suite run against every implementation (memory and Redis), so the
 * server behaves the same whichever store it is given.
 */

const HOUR = 3600_000;

export function storeContract(name: string, makeStore: () => Promise<Store>): void {
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

    it('after the grace window, revokes the family once and every descendant with it', async () => {
      const { familyId, tokenHash } = await family();
      const first = rotation(tokenHash, 30);
      await store.rotateRefreshToken(first);
      const second = rotation(first.successorHash, 30);
      await store.rotateRefreshToken(second);
      await sleep(80);
      expect(await store.rotateRefreshToken(rotation(tokenHash))).toEqual({ kind: 'reused', userId: 'alice', familyId, revoked: true });
      expect(await store.rotateRefreshToken(rotation(second.successorHash))).toEqual({ kind: 'invalid' });
      expect(await store.rotateRefreshToken(rotation(tokenHash))).toMatchObject({ kind: 'reused', revoked: false });
    });

    it('with grace 0, a second presentation is reuse at once', async () => {
      const { tokenHash } = await family();
      await store.rotateRefreshToken(rotation(tokenHash, 0));
      expect(await store.rotateRefreshToken(rotation(tokenHash, 0))).toMatchObject({ kind: 'reused', revoked: true });
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

    it('revokes a family on logout, grace replays included', async () => {
      const { tokenHash } = await family();
      const first = rotation(tokenHash);
      await store.rotateRefreshToken(first);
      await store.revokeFamilyOf(first.successorHash);
      expect(await store.rotateRefreshToken(rotation(first.successorHash))).toEqual({ kind: 'invalid' });
      expect((await store.rotateRefreshToken(rotation(tokenHash))).kind).toBe('reused');
      await store.revokeFamilyOf('unknown'); // harmless
    });

    it('claims an idempotency key once, then reports in flight, done, or free again', async () => {
      const key = `alice:${randomUUID()}`;
      expect(await store.claimIdempotencyKey(key, 'fp1', 60_000)).toEqual({ kind: 'claimed' });
      expect(await store.claimIdempotencyKey(key, 'fp2', 60_000)).toEqual({ kind: 'in_flight', fingerprint: 'fp1' });
      await store.completeIdempotencyKey(key, 'fp1', { status: 201, body: '{"id":1}' }, 60_000);
      expect(await store.claimIdempotencyKey(key, 'fp1', 60_000)).toEqual({
        kind: 'done',
        fingerprint: 'fp1',
        response: { status: 201, body: '{"id":1}' },
      });
      await store.releaseIdempotencyKey(key);
      expect(await store.claimIdempotencyKey(key, 'fp1', 60_000)).toEqual({ kind: 'claimed' });
    });

    it('frees an abandoned in-flight claim when it expires', async () => {
      const key = `alice:${randomUUID()}`;
      await store.claimIdempotencyKey(key, 'fp', 30);
      await sleep(80);
      expect(await store.claimIdempotencyKey(key, 'fp', 60_000)).toEqual({ kind: 'claimed' });
    });

    it('50 concurrent claims of one key: exactly one wins', async () => {
      const key = `alice:${randomUUID()}`;
      const claims = await Promise.all(Array.from({ length: 50 }, () => store.claimIdempotencyKey(key, 'fp', 60_000)));
      expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
    });

    it('keeps posts per author, in order', async () => {
      const author = `user-${randomUUID()}`;
      const post = (title: string) => ({ id: randomUUID(), author, title, body: '', createdAt: new Date().toISOString() });
      const [a, b] = [post('a'), post('b')];
      await store.addPost(a, HOUR);
      await store.addPost(b, HOUR);
      expect(await store.listPosts(author)).toEqual([a, b]);
      expect(await store.listPosts('nobody')).toEqual([]);
    });
  });
}
