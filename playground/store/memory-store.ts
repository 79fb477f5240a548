import {
  DEFAULT_LIMITS,
  ROTATED_TOKENS_KEPT,
  type LimitReached,
  type StoreLimits,
  type IdempotencyCompletion,
  type NewFamily,
  type Post,
  type RotateOutcome,
  type RotateRequest,
  type Store,
  type StoredResponse,
  type ThrottleRule,
  type LoginFailures,
} from './store.js';
import { loginDelayMs } from './throttle.js';

/**
 * The embedded default store: plain Maps in one process. Each operation runs without an `await`
 * inside, so on Node's single thread it is atomic, which is what the Store contract asks for.
 * Expired entries are ignored on read and swept lazily (at most once a minute, on a write); the
 * one exception is the sealed grace-window successor, dropped by a timer when its window ends.
 * Everything is gone when the process ends, the access-token denylist too: `denylistSince` is the
 * store's creation, and the server refuses access tokens issued before it (issue 18).
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
  /**
   * Grace answers carrying the current token that were not reported lost: while any is out, the
   * rotation counts as handed out and cannot be undone.
   */
  graceAnswersOut: number;
  /** The rotation's own answer was lost while a grace answer was out: undo once that one is lost too. */
  undoWaiting?: boolean;
}

interface IdempotencyRecord {
  fingerprint: string;
  response?: StoredResponse;
  expiresAt: number;
}

/** Everything one user makes the store hold; each part is capped by StoreLimits. */
interface Account {
  sessions: Set<Session>;
  idempotency: Map<string, IdempotencyRecord>;
  /** Oldest first; `seq` is the page cursor. */
  posts: Array<{ seq: number; post: Post; expiresAt: number }>;
  /** The user's own post counter: a cursor says nothing about other users' posts (issue 18). */
  lastPostSeq: number;
}

interface LoginFailureCount {
  count: number;
  blockedUntil: number;
  forgetAt: number;
}

const limitReached = (limit: keyof StoreLimits, limits: StoreLimits): LimitReached => ({
  kind: 'limit_reached',
  limit,
  max: limits[limit],
});

const SWEEP_EVERY_MS = 60_000;
/** Login-attempt counters held at most; past it the oldest is dropped, so a flood of names cannot grow memory. */
const MAX_LOGIN_COUNTERS = 100_000;

/** The memory store, plus counts of what it holds (for tests and the bench). */
export interface MemoryStore extends Store {
  held(): { sessions: number; tokens: number; sealedSuccessors: number; idempotencyRecords: number; posts: number };
}

export interface MemoryStoreOptions {
  clock?: () => number;
  /** @default DEFAULT_LIMITS */
  limits?: Partial<StoreLimits>;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = options.clock ?? Date.now;
  const limits: StoreLimits = { ...DEFAULT_LIMITS, ...options.limits };
  /** Token hash (current or remembered rotated) → its session. */
  const sessionOf = new Map<string, Session>();
  const accounts = new Map<string, Account>();
  /** Denied access-token `jti` → its `exp` (ms); dropped by the sweep once past. */
  const deniedAccessTokens = new Map<string, number>();
  /** Spent DPoP proof ids → when they may be forgotten (ms); dropped by the sweep once past. */
  const spentProofs = new Map<string, number>();
  const loginFailures = new Map<string, LoginFailureCount>();
  const createdAt = clock();
  let lastSweep = createdAt;

  const accountOf = (userId: string): Account => {
    let account = accounts.get(userId);
    if (!account) {
      account = { sessions: new Set(), idempotency: new Map(), posts: [], lastPostSeq: 0 };
      accounts.set(userId, account);
    }
    return account;
  };

  const forgetSession = (session: Session): void => {
    sessionOf.delete(session.current);
    for (const hash of session.rotated.keys()) sessionOf.delete(hash);
    delete session.sealed;
    accounts.get(session.userId)?.sessions.delete(session);
  };

  /** Drops what expired in one account: O(its size), which the limits bound. */
  const prune = (account: Account, now: number): void => {
    for (const session of account.sessions) if (session.expiresAt <= now) forgetSession(session);
    for (const [key, entry] of account.idempotency) if (entry.expiresAt <= now) account.idempotency.delete(key);
    const firstLive = account.posts.findIndex((entry) => entry.expiresAt > now);
    account.posts.splice(0, firstLive < 0 ? account.posts.length : firstLive);
  };

  const sweep = (now: number): void => {
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    for (const [jti, expiresAt] of deniedAccessTokens) if (expiresAt <= now) deniedAccessTokens.delete(jti);
    for (const [id, expiresAt] of spentProofs) if (expiresAt <= now) spentProofs.delete(id);
    for (const [key, failures] of loginFailures) if (failures.forgetAt <= now) loginFailures.delete(key);
    for (const [userId, account] of accounts) {
      prune(account, now);
      if (account.sessions.size + account.idempotency.size + account.posts.length === 0) accounts.delete(userId);
    }
  };

  /** The account with its expired entries dropped, before a cap is checked against it. */
  const currentAccount = (userId: string, now: number): Account => {
    sweep(now);
    const account = accountOf(userId);
    prune(account, now);
    return account;
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

  /** Makes the token the current one replaced current again; its successor is forgotten. */
  const undo = (session: Session): boolean => {
    const { previous } = session;
    if (!previous) return false;
    sessionOf.delete(session.current);
    session.rotated.delete(previous.hash);
    session.current = previous.hash;
    session.expiresAt = previous.expiresAt;
    delete session.previous;
    delete session.sealed;
    delete session.undoWaiting;
    return true;
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
      session.graceAnswersOut = 0;
      delete session.undoWaiting;
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
      session.graceAnswersOut += 1;
      return {
        kind: 'grace',
        session: { userId, familyId, expiresAt: session.expiresAt },
        successorHash: session.current,
        successorSealed: session.sealed,
      };
    }
    // Outside the grace window: the whole session goes, every descendant with it.
    forgetSession(session);
    return { kind: 'reused', userId, familyId };
  };

  return {
    async createFamily(family: NewFamily) {
      const account = currentAccount(family.userId, clock());
      if (account.sessions.size >= limits.sessionsPerUser) return limitReached('sessionsPerUser', limits);
      const session: Session = {
        userId: family.userId,
        familyId: family.familyId,
        familyExpiresAt: family.familyExpiresAt,
        current: family.tokenHash,
        expiresAt: family.tokenExpiresAt,
        rotated: new Map(),
        graceAnswersOut: 0,
      };
      sessionOf.set(family.tokenHash, session);
      account.sessions.add(session);
      return { kind: 'created' };
    },

    async rotateRefreshToken(request) {
      sweep(request.now);
      return rotate(request);
    },

    async undoRotation(presentedHash, successorHash) {
      const session = sessionOf.get(successorHash);
      if (!session || session.current !== successorHash || session.previous?.hash !== presentedHash) return false;
      if (session.graceAnswersOut > 0) {
        session.undoWaiting = true;
        return false;
      }
      return undo(session);
    },

    async graceAnswerLost(successorHash) {
      const session = sessionOf.get(successorHash);
      if (!session || session.current !== successorHash || session.graceAnswersOut === 0) return false;
      session.graceAnswersOut -= 1;
      return session.graceAnswersOut === 0 && session.undoWaiting === true ? undo(session) : false;
    },

    async revokeFamilyOf(tokenHash) {
      const session = sessionOf.get(tokenHash);
      if (session) forgetSession(session);
    },

    async claimIdempotencyKey(userId, key, fingerprint, inFlightTtlMs) {
      const now = clock();
      const { idempotency } = currentAccount(userId, now);
      const existing = idempotency.get(key);
      if (existing?.response) return { kind: 'done', fingerprint: existing.fingerprint, response: existing.response };
      if (existing) return { kind: 'in_flight', fingerprint: existing.fingerprint };
      if (idempotency.size >= limits.idempotencyKeysPerUser) return limitReached('idempotencyKeysPerUser', limits);
      idempotency.set(key, { fingerprint, expiresAt: now + inFlightTtlMs });
      return { kind: 'claimed' };
    },

    async completeIdempotencyKey(userId, key, fingerprint, response, ttlMs) {
      accountOf(userId).idempotency.set(key, { fingerprint, response, expiresAt: clock() + ttlMs });
    },

    async releaseIdempotencyKey(userId, key) {
      accounts.get(userId)?.idempotency.delete(key);
    },

    async addPost(post, ttlMs, completes?: IdempotencyCompletion) {
      const now = clock();
      const account = currentAccount(post.author, now);
      if (account.posts.length >= limits.postsPerUser) return limitReached('postsPerUser', limits);
      account.lastPostSeq += 1;
      account.posts.push({ seq: account.lastPostSeq, post, expiresAt: now + ttlMs });
      if (completes) {
        const { userId, key, fingerprint, response, ttlMs: keyTtlMs } = completes;
        accountOf(userId).idempotency.set(key, { fingerprint, response, expiresAt: now + keyTtlMs });
      }
      return { kind: 'added' };
    },

    async listPosts(author, page) {
      const now = clock();
      const after = page.after === undefined ? 0 : Number.parseInt(page.after, 10);
      const live = (accounts.get(author)?.posts ?? []).filter((entry) => entry.expiresAt > now && entry.seq > after);
      const entries = live.slice(0, page.limit);
      const last = entries[entries.length - 1];
      return { posts: entries.map((entry) => entry.post), next: live.length > page.limit && last ? String(last.seq) : null };
    },

    async denyAccessToken(jti, expiresAt) {
      sweep(clock());
      deniedAccessTokens.set(jti, expiresAt);
    },

    async isAccessTokenDenied(jti) {
      return (deniedAccessTokens.get(jti) ?? 0) > clock();
    },

    async claimProofJti(id, expiresAt) {
      const now = clock();
      sweep(now);
      if ((spentProofs.get(id) ?? 0) > now) return false;
      spentProofs.set(id, expiresAt);
      return true;
    },

    denylistSince: createdAt,

    async loginFailuresOf(key: string, now: number): Promise<LoginFailures> {
      const failures = loginFailures.get(key);
      if (!failures || failures.forgetAt <= now) return { count: 0, retryAfterMs: 0 };
      return { count: failures.count, retryAfterMs: Math.max(0, failures.blockedUntil - now) };
    },

    async recordLoginFailure(key: string, rule: ThrottleRule, now: number) {
      sweep(now);
      const live = loginFailures.get(key);
      const failures = live && live.forgetAt > now ? live : { count: 0, blockedUntil: 0, forgetAt: 0 };
      failures.count += 1;
      const delay = loginDelayMs(failures.count, rule);
      if (delay > 0) failures.blockedUntil = now + delay;
      failures.forgetAt = Math.max(now + rule.forgetAfterMs, failures.blockedUntil);
      // Re-inserted at the end: the Map's first entry is the least recently counted, dropped when full.
      loginFailures.delete(key);
      loginFailures.set(key, failures);
      if (loginFailures.size > MAX_LOGIN_COUNTERS) loginFailures.delete(loginFailures.keys().next().value ?? key);
    },

    async clearLoginFailures(key) {
      loginFailures.delete(key);
    },

    held() {
      const held = { sessions: 0, tokens: sessionOf.size, sealedSuccessors: 0, idempotencyRecords: 0, posts: 0 };
      for (const account of accounts.values()) {
        held.sessions += account.sessions.size;
        for (const session of account.sessions) if (session.sealed !== undefined) held.sealedSuccessors += 1;
        held.idempotencyRecords += account.idempotency.size;
        held.posts += account.posts.length;
      }
      return held;
    },

    async close() {
      sessionOf.clear();
      accounts.clear();
      deniedAccessTokens.clear();
      spentProofs.clear();
      loginFailures.clear();
    },
  };
}
