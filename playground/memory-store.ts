import type {
  IdempotencyClaim,
  NewFamily,
  Post,
  RotateOutcome,
  RotateRequest,
  Store,
  StoredResponse,
} from './store.js';

/**
 * The embedded default store: plain Maps in one process. Each operation runs without an `await`
 * inside, so on Node's single thread it is atomic, which is what the Store contract asks for.
 * Expired entries are ignored on read and swept lazily (at most once a minute, on a write); the
 * one exception is the sealed grace-window successor, dropped by a timer when its window ends.
 */

interface TokenRecord {
  userId: string;
  familyId: string;
  expiresAt: number;
  successorHash?: string;
  /** The successor's sealed raw value, only until the grace window ends. */
  successorSealed?: string;
  graceUntil?: number;
}

interface IdempotencyRecord {
  fingerprint: string;
  response?: StoredResponse;
  expiresAt: number;
}

const SWEEP_EVERY_MS = 60_000;

/** The memory store, plus counts of what it holds (for tests and the bench). */
export interface MemoryStore extends Store {
  held(): { families: number; tokens: number; sealedSuccessors: number; idempotencyRecords: number; posts: number };
}

export function createMemoryStore(clock: () => number = Date.now): MemoryStore {
  const families = new Map<string, { userId: string; expiresAt: number }>();
  const tokens = new Map<string, TokenRecord>();
  const idempotency = new Map<string, IdempotencyRecord>();
  const posts = new Map<string, Array<{ post: Post; expiresAt: number }>>();
  let lastSweep = clock();

  const live = <T extends { expiresAt: number }>(map: Map<string, T>, key: string, now: number): T | undefined => {
    const entry = map.get(key);
    if (entry && entry.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return entry;
  };

  const sweep = (now: number): void => {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    for (const map of [families, tokens, idempotency] as Array<Map<string, { expiresAt: number }>>) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
    for (const [author, list] of posts) {
      const kept = list.filter((entry) => entry.expiresAt > now);
      if (kept.length === 0) posts.delete(author);
      else posts.set(author, kept);
    }
  };

  /**
   * The sealed successor is the one raw token value the store holds: drop it when the grace window
   * ends, not at the next sweep. Timers of one duration share one list in Node, so one per
   * rotation is cheap; unref'd, they never keep the process alive.
   */
  const forgetSealedAfter = (record: TokenRecord, ms: number): void => {
    setTimeout(() => {
      delete record.successorSealed;
    }, ms).unref();
  };

  const rotate = (request: RotateRequest): RotateOutcome => {
    const { now } = request;
    const record = live(tokens, request.presentedHash, now);
    const family = record && live(families, record.familyId, now);
    // A revoked session is gone: none of its tokens is known any more.
    if (!record || !family) return { kind: 'invalid' };
    const { userId, familyId } = record;

    if (record.successorHash === undefined) {
      const expiresAt = Math.min(now + request.refreshTtlMs, family.expiresAt);
      tokens.set(request.successorHash, { userId, familyId, expiresAt });
      record.successorHash = request.successorHash;
      if (request.graceMs > 0) {
        record.successorSealed = request.successorSealed;
        record.graceUntil = now + request.graceMs;
        forgetSealedAfter(record, request.graceMs);
      }
      return { kind: 'rotated', session: { userId, familyId, expiresAt } };
    }

    const successor = live(tokens, record.successorHash, now);
    if (record.successorSealed !== undefined && (record.graceUntil ?? 0) > now && successor) {
      return {
        kind: 'grace',
        session: { userId, familyId, expiresAt: successor.expiresAt },
        successorSealed: record.successorSealed,
      };
    }
    // Outside the grace window: drop the family, which invalidates every descendant at once.
    families.delete(familyId);
    delete record.successorSealed;
    return { kind: 'reused', userId, familyId };
  };

  return {
    async createFamily(family: NewFamily) {
      sweep(clock());
      families.set(family.familyId, { userId: family.userId, expiresAt: family.familyExpiresAt });
      tokens.set(family.tokenHash, {
        userId: family.userId,
        familyId: family.familyId,
        expiresAt: family.tokenExpiresAt,
      });
    },

    async rotateRefreshToken(request) {
      sweep(request.now);
      return rotate(request);
    },

    async revokeFamilyOf(tokenHash) {
      const record = live(tokens, tokenHash, clock());
      if (record) families.delete(record.familyId);
    },

    async claimIdempotencyKey(key, fingerprint, inFlightTtlMs): Promise<IdempotencyClaim> {
      const now = clock();
      sweep(now);
      const existing = live(idempotency, key, now);
      if (!existing) {
        idempotency.set(key, { fingerprint, expiresAt: now + inFlightTtlMs });
        return { kind: 'claimed' };
      }
      return existing.response
        ? { kind: 'done', fingerprint: existing.fingerprint, response: existing.response }
        : { kind: 'in_flight', fingerprint: existing.fingerprint };
    },

    async completeIdempotencyKey(key, fingerprint, response, ttlMs) {
      idempotency.set(key, { fingerprint, response, expiresAt: clock() + ttlMs });
    },

    async releaseIdempotencyKey(key) {
      idempotency.delete(key);
    },

    async addPost(post, ttlMs) {
      const now = clock();
      sweep(now);
      const list = posts.get(post.author) ?? [];
      list.push({ post, expiresAt: now + ttlMs });
      posts.set(post.author, list);
    },

    async listPosts(author) {
      const now = clock();
      return (posts.get(author) ?? []).filter((entry) => entry.expiresAt > now).map((entry) => entry.post);
    },

    held() {
      let sealedSuccessors = 0;
      for (const record of tokens.values()) if (record.successorSealed !== undefined) sealedSuccessors += 1;
      let postCount = 0;
      for (const list of posts.values()) postCount += list.length;
      return { families: families.size, tokens: tokens.size, sealedSuccessors, idempotencyRecords: idempotency.size, posts: postCount };
    },

    async close() {
      families.clear();
      tokens.clear();
      idempotency.clear();
      posts.clear();
    },
  };
}
