import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import { connectRedis, type RedisCommands, type RedisConnectOptions } from './redis-client.js';
import {
  ADD_POST_SCRIPT,
  CLAIM_SCRIPT,
  CREATE_SCRIPT,
  GRACE_LOST_SCRIPT,
  LOGIN_FAILURE_SCRIPT,
  REVOKE_SCRIPT,
  ROTATE_SCRIPT,
  UNDO_SCRIPT,
} from './redis-scripts.js';
import {
  DEFAULT_LIMITS,
  ROTATED_TOKENS_KEPT,
  StoreUnavailableError,
  type LimitReached,
  type StoreLimits,
  type LoginFailures,
  type IdempotencyClaim,
  type IdempotencyCompletion,
  type NewFamily,
  type Post,
  type RotateOutcome,
  type RotateRequest,
  type Store,
} from './store.js';

/**
 * The Store on Redis (one node or a Redis Cluster), so several server instances share sessions,
 * reuse detection and idempotency. Client: `redis` (node-redis), Redis's own maintained client,
 * with TypeScript types, Lua scripting and cluster support built in; ioredis is in maintenance mode.
 *
 * Every key carries an expiry Redis enforces; there is no sweeper. Layout (prefix `auth-fetch:`;
 * `{u:<user>}` is a hash tag, so a user's keys share one cluster slot and one script can touch them):
 *   tok:<sha256>             "<familyId> <user>"       which session a token belongs to; until its expiry
 *   {u:<user>}:fam:<id>      hash {user, exp, cur, curExp, prev, prevExp, graceOut, undoWaiting, n}
 *                            the session: absolute end, current token, the one it replaced (undo),
 *                            grace answers out with it, an undo waiting for them, a rotation counter; until curExp
 *   {u:<user>}:rotated:<id>  zset hash → rotated at    the last ROTATED_TOKENS_KEPT rotated tokens (reuse detection)
 *   {u:<user>}:sealed:<id>   sealed current token      for the grace window only
 *   {u:<user>}:sessions      zset familyId → expiry    live sessions (the sessionsPerUser cap)
 *   {u:<user>}:idem:<key>    JSON {fp, status?, body?}  in flight: 5 min, done: 24 h
 *   {u:<user>}:idem-keys     zset key → expiry         the idempotencyKeysPerUser cap
 *   {u:<user>}:posts         stream {post, exp}        entries older than their TTL trimmed at each post
 *   deny:<jti>               "1"                       a logged-out access token, until its exp
 *   dpop-jti:<id>            "1"                       a spent DPoP proof (one key: cluster-safe), until its iat window ends
 *   throttle:<sha256>        hash {n, until}           login attempts of a user name or an address (login-throttle.ts)
 *
 * Availability: commands fail fast while Redis is unreachable (no offline queue, a command
 * timeout) and every store call has a deadline of its own, also when Redis stalls with the socket
 * open; the error becomes StoreUnavailableError and the server answers 503; the client keeps
 * reconnecting in the background and the server recovers by itself.
 */

/** The whole store call, however many commands it sends (see withDeadline). */
const DEADLINE_MS = 2000;
const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');

export { StoreConnectError } from './redis-client.js';

export interface RedisStoreOptions extends RedisConnectOptions {
  /** Key prefix, so tests (or apps) can share one Redis. @default 'auth-fetch:' */
  prefix?: string;
  /** @default DEFAULT_LIMITS */
  limits?: Partial<StoreLimits>;
}

/** Connects (see redis-client.ts) or fails within 2 s, naming REDIS_URL. */
export async function connectRedisStore(url: string, options: RedisStoreOptions = {}): Promise<Store> {
  const { client, close } = await connectRedis(url, options);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return createRedisStore(client, options.prefix ?? 'auth-fetch:', limits, close);
}

/**
 * Every store call answers within DEADLINE_MS. node-redis's own command timeout stops counting
 * once the command is written to the socket, so a stalled Redis (paused process, a partition that
 * keeps the socket open) would hang the request for good; this deadline covers the whole call.
 */
function withDeadline<T>(operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`redis: no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}

/** Connection trouble → StoreUnavailableError (503); a genuine error reply is a bug and stays as is. */
async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await withDeadline(operation());
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    if (error instanceof ErrorReply && !/^(LOADING|BUSY|MASTERDOWN|TRYAGAIN)/.test(error.message)) throw error;
    throw new StoreUnavailableError(`redis: ${(error as Error).message}`, { cause: error });
  }
}

/** A user's hash tag: all of a user's session keys share one cluster slot. */
const userTag = (userId: string): string => `{u:${encodeURIComponent(userId)}}`;

/** The token index value: which session a refresh token belongs to. */
function parseOwner(value: string | null): { familyId: string; userId: string } | undefined {
  const space = value?.indexOf(' ') ?? -1;
  if (value === null || value === undefined || space < 0) return undefined;
  return { familyId: value.slice(0, space), userId: value.slice(space + 1) };
}

function createRedisStore(client: RedisCommands, prefix: string, limits: StoreLimits, close: () => Promise<void>): Store {
  const key = (...parts: string[]): string => prefix + parts.join(':');
  const tokenKey = (hash: string): string => key('tok', hash);
  const userKey = (userId: string, ...parts: string[]): string => key(userTag(userId), ...parts);
  /** fam, rotated, sealed of one session, and the user's session index: one slot. */
  const familyKeys = (owner: { familyId: string; userId: string }): string[] => [
    ...['fam', 'rotated', 'sealed'].map((kind) => userKey(owner.userId, kind, owner.familyId)),
    userKey(owner.userId, 'sessions'),
  ];
  const limitReached = (limit: keyof StoreLimits): LimitReached => ({ kind: 'limit_reached', limit, max: limits[limit] });

  const runScript = async <Reply = string[]>(script: string, keys: string[], args: string[]): Promise<Reply> => {
    try {
      return (await client.evalSha(sha1(script), { keys, arguments: args })) as Reply;
    } catch (error) {
      // A restarted Redis has an empty script cache: send the script once, then EVALSHA again.
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await client.eval(script, { keys, arguments: args })) as Reply;
    }
  };

  const ownerOf = async (hash: string) => parseOwner(await client.get(tokenKey(hash)));

  /**
   * Index entries of tokens the session no longer remembers. They would expire by themselves;
   * deleting them now keeps a busy session's footprint at ROTATED_TOKENS_KEPT. On a cluster they
   * live in other slots, hence one DEL each, not awaited: a failure only leaves them to expire.
   */
  const forgetTokens = (hashes: string[]): void => {
    for (const hash of hashes) client.del(tokenKey(hash)).catch(() => undefined);
  };

  const rotate = async (request: RotateRequest): Promise<RotateOutcome> => {
    const owner = await ownerOf(request.presentedHash);
    if (!owner) return { kind: 'invalid' };
    const { familyId, userId } = owner;
    // The successor's index entry goes out with the script (nobody can present the successor
    // before we answer); if the script does not rotate, it is deleted again.
    const [script, indexed] = await Promise.allSettled([
      runScript(ROTATE_SCRIPT, familyKeys(owner), [
        request.presentedHash,
        request.successorHash,
        request.successorSealed,
        String(request.now),
        String(request.refreshTtlMs),
        String(request.graceMs),
        String(ROTATED_TOKENS_KEPT),
        familyId,
      ]),
      client.set(tokenKey(request.successorHash), `${familyId} ${userId}`, { PX: request.refreshTtlMs }),
    ]);
    if (script.status === 'rejected') {
      forgetTokens([request.successorHash]);
      throw script.reason;
    }
    const reply = script.value;
    if (indexed.status === 'rejected' && reply[0] === 'rotated') {
      // A successor nobody could find again must not stay current: take the rotation back.
      await undo(request.presentedHash, request.successorHash).catch(() => undefined);
      throw indexed.reason;
    }
    const [kind, , third = '', ...rest] = reply;
    if (kind !== 'rotated') forgetTokens([request.successorHash]);
    if (kind === 'rotated') {
      forgetTokens(rest);
      return { kind, session: { userId, familyId, expiresAt: Number(third) } };
    }
    if (kind === 'grace') {
      const [successorHash = '', successorSealed = ''] = rest;
      return { kind, session: { userId, familyId, expiresAt: Number(third) }, successorHash, successorSealed };
    }
    if (kind === 'reused') {
      forgetTokens([third, ...rest]);
      return { kind, userId, familyId };
    }
    return { kind: 'invalid' };
  };

  const undo = async (presentedHash: string, successorHash: string): Promise<boolean> => {
    const owner = await ownerOf(presentedHash);
    if (!owner) return false;
    const undone = await runScript<number>(UNDO_SCRIPT, familyKeys(owner), [presentedHash, successorHash, owner.familyId]);
    if (undone === 1) forgetTokens([successorHash]);
    return undone === 1;
  };

  const graceLost = async (successorHash: string): Promise<boolean> => {
    const owner = await ownerOf(successorHash);
    if (!owner) return false;
    const undone = await runScript<number>(GRACE_LOST_SCRIPT, familyKeys(owner), [successorHash, owner.familyId]);
    if (undone === 1) forgetTokens([successorHash]);
    return undone === 1;
  };

  /**
   * The caller got a 503 and keeps its cookie. If Redis still applies the rotation later (it was
   * stalled, the command was already on the socket), that answer is lost: undo it, or the
   * client's next refresh with its only cookie would look like reuse and revoke the session. A
   * grace answer applied late was lost just the same, and may be the one an undo waits for.
   */
  const settleIfAppliedLate = (work: Promise<RotateOutcome>, request: RotateRequest): void => {
    work
      .then((outcome) => {
        if (outcome.kind === 'rotated') return undo(request.presentedHash, request.successorHash);
        if (outcome.kind === 'grace') return graceLost(outcome.successorHash);
        return undefined;
      })
      .catch(() => undefined);
  };

  const createFamily = async (family: NewFamily): Promise<{ kind: 'created' } | LimitReached> => {
    const [famKey = '', , , sessionsKey = ''] = familyKeys(family);
    const created = await runScript<string>(CREATE_SCRIPT, [famKey, sessionsKey], [
      family.userId,
      String(family.familyExpiresAt),
      family.tokenHash,
      String(family.tokenExpiresAt),
      String(Date.now()),
      String(limits.sessionsPerUser),
      family.familyId,
    ]);
    if (created !== 'created') return limitReached('sessionsPerUser');
    // Indexed once the session exists; nobody can present the token before login answers.
    await client.set(tokenKey(family.tokenHash), `${family.familyId} ${family.userId}`, { PXAT: family.tokenExpiresAt });
    return { kind: 'created' };
  };

  /**
   * A login that got a 503 was not delivered: if Redis creates its session later, remove it again,
   * or every lost login would hold one of the user's sessionsPerUser slots (issue 18).
   */
  const revokeIfCreatedLate = (work: Promise<{ kind: 'created' } | LimitReached>, family: NewFamily): void => {
    work
      .then(async (outcome) => {
        if (outcome.kind !== 'created') return;
        forgetTokens(await runScript(REVOKE_SCRIPT, familyKeys(family), [family.familyId]));
      })
      .catch(() => undefined);
  };

  const throttleKey = (name: string): string => key('throttle', createHash('sha256').update(name).digest('base64url'));

  return {
    createFamily: (family) => {
      const work = createFamily(family);
      return guard(() => work).catch((error: unknown) => {
        revokeIfCreatedLate(work, family);
        throw error;
      });
    },

    rotateRefreshToken: (request) => {
      const work = rotate(request);
      return guard(() => work).catch((error: unknown) => {
        settleIfAppliedLate(work, request);
        throw error;
      });
    },

    undoRotation: (presentedHash, successorHash) => guard(() => undo(presentedHash, successorHash)),

    graceAnswerLost: (successorHash) => guard(() => graceLost(successorHash)),

    revokeFamilyOf: (tokenHash) =>
      guard(async () => {
        const owner = await ownerOf(tokenHash);
        if (owner) forgetTokens(await runScript(REVOKE_SCRIPT, familyKeys(owner), [owner.familyId]));
      }),

    claimIdempotencyKey: (userId, idemKey, fingerprint, inFlightTtlMs) =>
      guard(async (): Promise<IdempotencyClaim | LimitReached> => {
        const keys = [userKey(userId, 'idem', idemKey), userKey(userId, 'idem-keys')];
        const args = [JSON.stringify({ fp: fingerprint }), String(inFlightTtlMs), String(Date.now()), String(limits.idempotencyKeysPerUser), idemKey];
        const [kind, raw = '{}'] = await runScript(CLAIM_SCRIPT, keys, args);
        if (kind === 'claimed') return { kind };
        if (kind === 'limit_reached') return limitReached('idempotencyKeysPerUser');
        const record = JSON.parse(raw) as { fp: string; status?: number; body?: string };
        return record.status === undefined || record.body === undefined
          ? { kind: 'in_flight', fingerprint: record.fp }
          : { kind: 'done', fingerprint: record.fp, response: { status: record.status, body: record.body } };
      }),

    completeIdempotencyKey: (userId, idemKey, fingerprint, response, ttlMs) =>
      guard(async () => {
        const record = JSON.stringify({ fp: fingerprint, status: response.status, body: response.body });
        const index = userKey(userId, 'idem-keys');
        await client
          .multi()
          .set(userKey(userId, 'idem', idemKey), record, { PX: ttlMs })
          .zAdd(index, { score: Date.now() + ttlMs, value: idemKey })
          .pExpire(index, ttlMs)
          .exec();
      }),

    releaseIdempotencyKey: (userId, idemKey) =>
      guard(async () => {
        await client.multi().del(userKey(userId, 'idem', idemKey)).zRem(userKey(userId, 'idem-keys'), idemKey).exec();
      }),

    addPost: (post, ttlMs, completes?: IdempotencyCompletion) =>
      guard(async () => {
        const keys = [userKey(post.author, 'posts')];
        const args = [JSON.stringify(post), String(ttlMs), String(limits.postsPerUser)];
        if (completes) {
          const { userId, key: idemKey, fingerprint, response, ttlMs: keyTtlMs } = completes;
          keys.push(userKey(userId, 'idem', idemKey), userKey(userId, 'idem-keys'));
          args.push(JSON.stringify({ fp: fingerprint, status: response.status, body: response.body }), String(keyTtlMs), idemKey);
        }
        const added = await runScript<string>(ADD_POST_SCRIPT, keys, args);
        return added === 'added' ? ({ kind: 'added' } as const) : limitReached('postsPerUser');
      }),

    listPosts: (author, page) =>
      guard(async () => {
        const start = page.after === undefined ? '-' : `(${page.after}`;
        const entries = (await client.xRange(userKey(author, 'posts'), start, '+', { COUNT: page.limit + 1 })) ?? [];
        // Expired entries are trimmed at the next post; until then they are only skipped.
        const now = Date.now();
        const live = entries.filter((entry) => Number(entry.message.exp) > now);
        const shown = live.slice(0, page.limit);
        const next = live.length > page.limit ? (shown[shown.length - 1]?.id ?? null) : null;
        return { posts: shown.map((entry) => JSON.parse(entry.message.post ?? '{}') as Post), next };
      }),

    denyAccessToken: (jti, expiresAt) =>
      guard(async () => {
        if (expiresAt > Date.now()) await client.set(key('deny', jti), '1', { PXAT: expiresAt });
      }),

    isAccessTokenDenied: (jti) => guard(async () => (await client.exists(key('deny', jti))) === 1),

    claimProofJti: (id, expiresAt) =>
      guard(async () => (await client.set(key('dpop-jti', id), '1', { NX: true, PXAT: Math.max(expiresAt, Date.now() + 1) })) === 'OK'),

    // Redis keeps the denylist across server restarts (and, with persistence, its own); see docs/server-security.md.
    denylistSince: 0,

    loginFailuresOf: (name, now) =>
      guard(async (): Promise<LoginFailures> => {
        const [count, blockedUntil] = await client.hmGet(throttleKey(name), ['n', 'until']);
        return { count: Number(count ?? 0), retryAfterMs: Math.max(0, Number(blockedUntil ?? 0) - now) };
      }),

    recordLoginFailure: (name, rule, now) =>
      guard(async () => {
        const args = [now, rule.freeAttempts, rule.baseDelayMs, rule.maxDelayMs, rule.forgetAfterMs].map(String);
        await runScript<number>(LOGIN_FAILURE_SCRIPT, [throttleKey(name)], args);
      }),

    clearLoginFailures: (name) =>
      guard(async () => {
        await client.del(throttleKey(name));
      }),

    close,
  };
}
