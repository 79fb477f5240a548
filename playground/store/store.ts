/**
 * Everything the reference server remembers goes through this interface, so the in-memory store
 * (one process) and the Redis store (several instances) are interchangeable.
 *
 * The operations are deliberately coarse: each one is a single atomic step in the protocol
 * (e.g. "rotate this refresh token"), not a get/put pair, because a get-then-put from two
 * instances at the same instant is exactly the race that RFC 9700 §4.14 rotation must survive.
 *
 * All times are epoch milliseconds; every record carries an expiry the store enforces.
 */

/** A live refresh-token session: who it belongs to and when the presented token stops working. */
export interface RefreshSession {
  userId: string;
  familyId: string;
  /** When this refresh token expires (sliding per rotation, capped by the family's lifetime). */
  expiresAt: number;
}

export interface NewFamily {
  familyId: string;
  userId: string;
  /** Absolute end of the family: rotation slides a token's expiry, never past this. */
  familyExpiresAt: number;
  /** SHA-256 of the first refresh token; the raw value is never stored. */
  tokenHash: string;
  tokenExpiresAt: number;
}

export interface RotateRequest {
  /** SHA-256 of the presented refresh token. */
  presentedHash: string;
  /** SHA-256 of the successor the caller generated, used if the presented token is current. */
  successorHash: string;
  /** The successor's raw value, sealed (encrypted) by the caller; kept only for the grace window. */
  successorSealed: string;
  now: number;
  /** Sliding lifetime of the successor; the store caps it at the family's end. */
  refreshTtlMs: number;
  /** How long after a rotation the old token may still be answered with the same successor. */
  graceMs: number;
}

export type RotateOutcome =
  /** The presented token was current: the caller's successor is now the current token. */
  | { kind: 'rotated'; session: RefreshSession }
  /**
   * Already rotated, within the grace window: answer with the same successor (still sealed). Until
   * the caller reports the answer lost (`graceAnswerLost`), the rotation counts as handed out.
   */
  | { kind: 'grace'; session: RefreshSession; successorHash: string; successorSealed: string }
  /** Already rotated, after the grace window: the family is now revoked. */
  | { kind: 'reused'; userId: string; familyId: string }
  /** Unknown, expired, forgotten (see ROTATED_TOKENS_KEPT), or its family was revoked. */
  | { kind: 'invalid' };

export interface StoredResponse {
  status: number;
  body: string;
}

export type IdempotencyClaim =
  /** Nobody had this key: the caller runs the request and must `complete` or `release` it. */
  | { kind: 'claimed' }
  /** Another request with this key is still running. */
  | { kind: 'in_flight'; fingerprint: string }
  /** A request with this key finished; replay its response if the fingerprint matches. */
  | { kind: 'done'; fingerprint: string; response: StoredResponse };

/** A response to remember under an Idempotency-Key, written in the same step as the work it answers. */
export interface IdempotencyCompletion {
  userId: string;
  key: string;
  fingerprint: string;
  response: StoredResponse;
  ttlMs: number;
}

/** How failed logins slow down one key (a user name or a client address). */
export interface ThrottleRule {
  /** Attempts before the first delay. */
  freeAttempts: number;
  /** The first delay; each further attempt doubles it. */
  baseDelayMs: number;
  /** The delay never grows past this, so nobody is locked out for long. */
  maxDelayMs: number;
  /** The count is forgotten this long after the last attempt. */
  forgetAfterMs: number;
}

/** The failed logins counted against one key, and how long its current delay still runs (0: none). */
export interface LoginFailures {
  count: number;
  retryAfterMs: number;
}

export interface Post {
  id: string;
  author: string;
  title: string;
  body: string;
  createdAt: string;
}

/** What one user can make the server hold at once; a request past a cap is refused, nothing stored is dropped. */
export interface StoreLimits {
  /** Live sessions (logins whose refresh token has not expired) per user. */
  sessionsPerUser: number;
  /** Posts per user (each kept for the TTL `addPost` is given, 24 h in the server). */
  postsPerUser: number;
  /** Idempotency records per user, in flight or done (done ones are kept 24 h). */
  idempotencyKeysPerUser: number;
}

export const DEFAULT_LIMITS: StoreLimits = { sessionsPerUser: 100, postsPerUser: 1000, idempotencyKeysPerUser: 1000 };

/** A write refused because the user is at one of the StoreLimits. */
export interface LimitReached {
  kind: 'limit_reached';
  limit: keyof StoreLimits;
  max: number;
}

/** One page of a user's posts, oldest first; `next` is the cursor of the following page, if any. */
export interface PostPage {
  posts: Post[];
  next: string | null;
}

export interface Store {
  createFamily(family: NewFamily): Promise<{ kind: 'created' } | LimitReached>;
  /** Atomic: two callers presenting the same current token produce exactly one successor. */
  rotateRefreshToken(request: RotateRequest): Promise<RotateOutcome>;
  /**
   * Takes back a rotation whose answer never reached the client (the store's deadline passed, or
   * the client went before the answer was written), so the client's cookie works again instead of
   * counting as reuse later. True when it was undone. Does nothing once the successor was used or
   * handed out by a grace answer; while a grace answer carrying it is still being written, the undo
   * waits for `graceAnswerLost` (issue 18: two lost answers must not make one a "reuse").
   */
  undoRotation(presentedHash: string, successorHash: string): Promise<boolean>;
  /**
   * A grace answer carrying `successorHash` never reached its client. If no other one is pending and
   * the rotation's own answer was lost too (an undo is waiting), the rotation is undone now: true.
   */
  graceAnswerLost(successorHash: string): Promise<boolean>;
  /** Revokes the family the token belongs to (logout); unknown tokens are ignored. */
  revokeFamilyOf(tokenHash: string): Promise<void>;

  /**
   * Atomic claim (SET NX semantics) of `key` among the user's keys; `inFlightTtlMs` bounds a claim
   * whose owner crashed.
   */
  claimIdempotencyKey(userId: string, key: string, fingerprint: string, inFlightTtlMs: number): Promise<IdempotencyClaim | LimitReached>;
  completeIdempotencyKey(userId: string, key: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Forgets a claim whose request failed, so a retry with the same key can run. */
  releaseIdempotencyKey(userId: string, key: string): Promise<void>;

  /**
   * Adds a post; with `completes` (a key of the post's author: on Redis Cluster both live in the
   * author's slot), stores that Idempotency-Key's response in the same atomic step, so a store
   * whose answer is lost never holds the post without the key being done (issue 18).
   */
  addPost(post: Post, ttlMs: number, completes?: IdempotencyCompletion): Promise<{ kind: 'added' } | LimitReached>;
  /** At most `limit` posts of `author`, oldest first, after the `after` cursor of a previous page. */
  listPosts(author: string, page: { after?: string; limit: number }): Promise<PostPage>;

  /** Puts an access token's `jti` on the denylist until `expiresAt` (its `exp`): logout ends it too. */
  denyAccessToken(jti: string, expiresAt: number): Promise<void>;
  isAccessTokenDenied(jti: string): Promise<boolean>;
  /**
   * Since when (epoch ms) the denylist is complete. The memory store starts empty with its process,
   * so tokens issued before that are refused rather than trusted (their logout may be forgotten).
   * 0: the denylist outlives the process (Redis).
   */
  readonly denylistSince: number;

  /** The failed logins of `key` (a user name or a client address; opaque to the store). */
  loginFailuresOf(key: string, now: number): Promise<LoginFailures>;
  /** Counts one failed login against `key` and starts its delay once the rule says so (throttle.ts). */
  recordLoginFailure(key: string, rule: ThrottleRule, now: number): Promise<void>;
  /** Forgets the failures of `key` (the user logged in). */
  clearLoginFailures(key: string): Promise<void>;

  /**
   * Remembers a DPoP proof's `id` (its key and `jti`, hashed) until `expiresAt`; false when it was
   * already remembered: a replayed proof (RFC 9449 §11.1). Atomic (SET NX semantics).
   */
  claimProofJti(id: string, expiresAt: number): Promise<boolean>;

  close(): Promise<void>;
}

/**
 * Rotated refresh tokens a session remembers for reuse detection (RFC 9700 §4.14.2). An older one
 * presented again is refused as unknown, without revoking: a session rotating every few seconds
 * must not make the store hold a record per rotation for the token lifetime.
 */
export const ROTATED_TOKENS_KEPT = 100;

/** Thrown by a store that cannot reach its backend; the server answers 503 `store_unavailable`. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError' as const;
}
