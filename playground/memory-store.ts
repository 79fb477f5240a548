import {
  ROTATED_TOKENS_KEPT,
  type IdempotencyClaim,
  type NewFamily,
  type Post,
  type RotateOutcome,
  type RotateRequest,
  type Store,
  type StoredResponse,
} from './store.js';

/**
 * The embedded default store: plain Maps in one process. Each operation runs without an `await`
 * inside, so on Node's single thread it is atomic, which is what the Store contract asks for.
 * Expired entries are ignored on read and swept lazily (at most once a minute, on a write); the
 * one exception is the sealed grace-window successor, dropped by a timer when its window ends.
 */

/** One login: its current token, the rotated ones it remembers, the sealed current token for the grace window. */
interface Session {
  userId: string;
  familyId: string;
  /** Absolute end of the family. */
  familyExpiresAt: number;
  current: string;
  /** The session lives as long as its current token. */
  expiresAt: number;
  /** Rotated token hash → when it was rotated, oldest first; at most ROTATED_TOKENS_KEPT. */
  rotated: Map<string, number>;
  /** The current token's raw value, sealed, only until the grace window of its rotation ends. */
  sealed?: string;
  /** The token the current one replaced and its expiry, so a lost rotation can be undone. */
  previous?: { hash: string; expiresAt: number };
  /** The current token was handed out by a grace answer: its rotation can no longer be undone. */
  shared?: boolean;
}

interface IdempotencyRecord {
  fingerprint: string;
  response?: StoredResponse;
  expiresAt: number;
}

const SWEEP_EVERY_MS = 60_000;

/** The memory store, plus counts of what it holds (for tests and the bench). */
export interface MemoryStore extends Store {
  held(): { sessions: number; tokens: number; sealedSuccessors: number; idempotencyRecords: number; posts: number };
}

export function createMemoryStore(clock: () => number = Date.now): MemoryStore {
  /** Token hash (current or remembered rotated) → its session. */
  const sessionOf = new Map<string, Session>();
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

  const forgetSession = (session: Session): void => {
    sessionOf.delete(session.current);
    for (const hash of session.rotated.keys()) sessionOf.delete(hash);
    delete session.sealed;
  };

  const sweep = (now: number): void => {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    for (const session of sessionOf.values()) if (session.expiresAt <= now) forgetSession(session);
    for (const [key, entry] of idempotency) if (entry.expiresAt <= now) idempotency.delete(key);
    for (const [author, list] of posts) {
      const kept = list.filter((entry) => entry.expiresAt > now);
      if (kept.length === 0) posts.delete(author);
      else posts.set(author, kept);
    }
  };

  /**
   * The sealed token is the one raw token value the store holds: drop it when the grace window
   * ends, not at the next sweep. Timers of one duration share one list in Node, so one per
   * rotation is cheap; unref'd, they never keep the process alive.
   */
  const forgetSealedAfter = (session: Session, sealed: string, ms: number): void => {
    setTimeout(() => {
      if (session.sealed === sealed) delete session.sealed;
    }, ms).unref();
  };

  const liveSession = (hash: string, now: number): Session | undefined => {
    const session = sessionOf.get(hash);
    if (session && session.expiresAt <= now) {
      forgetSession(session);
      return undefined;
    }
    return session;
  };

  const rotate = (request: RotateRequest): RotateOutcome => {
    const { now, presentedHash } = request;
    // Unknown, expired, revoked, or rotated too long ago to be remembered.
    const session = liveSession(presentedHash, now);
    if (!session) return { kind: 'invalid' };
    const { userId, familyId } = session;

    if (session.current === presentedHash) {
      session.rotated.set(presentedHash, now);
      for (const hash of session.rotated.keys()) {
        if (session.rotated.size <= ROTATED_TOKENS_KEPT) break;
        session.rotated.delete(hash);
        sessionOf.delete(hash);
      }
      session.previous = { hash: presentedHash, expiresAt: session.expiresAt };
      session.shared = false;
      session.current = request.successorHash;
      session.expiresAt = Math.min(now + request.refreshTtlMs, session.familyExpiresAt);
      sessionOf.set(request.successorHash, session);
      delete session.sealed;
      if (request.graceMs > 0) {
        session.sealed = request.successorSealed;
        forgetSealedAfter(session, request.successorSealed, request.graceMs);
      }
      return { kind: 'rotated', session: { userId, familyId, expiresAt: session.expiresAt } };
    }

    // Presented again after its rotation. Within the grace window the answer is the session's
    // newest token, never an older one that was rotated since (its cookie would overwrite the newer).
    const rotatedAt = session.rotated.get(presentedHash) ?? 0;
    if (rotatedAt + request.graceMs > now && session.sealed !== undefined) {
      session.shared = true;
      return { kind: 'grace', session: { userId, familyId, expiresAt: session.expiresAt }, successorSealed: session.sealed };
    }
    // Outside the grace window: the whole session goes, every descendant with it.
    forgetSession(session);
    return { kind: 'reused', userId, familyId };
  };

  return {
    async createFamily(family: NewFamily) {
      sweep(clock());
      sessionOf.set(family.tokenHash, {
        userId: family.userId,
        familyId: family.familyId,
        familyExpiresAt: family.familyExpiresAt,
        current: family.tokenHash,
        expiresAt: family.tokenExpiresAt,
        rotated: new Map(),
      });
    },

    async rotateRefreshToken(request) {
      sweep(request.now);
      return rotate(request);
    },

    async undoRotation(presentedHash, successorHash) {
      const session = sessionOf.get(successorHash);
      const previous = session?.previous;
      if (!session || session.current !== successorHash || session.shared || previous?.hash !== presentedHash) return;
      sessionOf.delete(successorHash);
      session.rotated.delete(presentedHash);
      session.current = presentedHash;
      session.expiresAt = previous.expiresAt;
      delete session.previous;
      delete session.sealed;
    },

    async revokeFamilyOf(tokenHash) {
      const session = sessionOf.get(tokenHash);
      if (session) forgetSession(session);
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
      const sessions = new Set(sessionOf.values());
      let sealedSuccessors = 0;
      for (const session of sessions) if (session.sealed !== undefined) sealedSuccessors += 1;
      let postCount = 0;
      for (const list of posts.values()) postCount += list.length;
      return { sessions: sessions.size, tokens: sessionOf.size, sealedSuccessors, idempotencyRecords: idempotency.size, posts: postCount };
    },

    async close() {
      sessionOf.clear();
      idempotency.clear();
      posts.clear();
    },
  };
}
