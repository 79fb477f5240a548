import { createHash } from 'node:crypto';
import { ErrorReply, createClient } from 'redis';
import { ROTATE_SCRIPT } from './redis-scripts.js';
import {
  StoreUnavailableError,
  type IdempotencyClaim,
  type Post,
  type RotateOutcome,
  type Store,
} from './store.js';

/**
 * The Store on Redis, so several server instances share sessions, reuse detection and
 * idempotency. Client: `redis` (node-redis), Redis's own maintained client, with TypeScript types
 * and Lua scripting built in; ioredis is in maintenance mode.
 *
 * Every key carries an expiry Redis enforces; there is no sweeper. Layout (prefix `auth-fetch:`):
 *   fam:<familyId>     hash {user, exp}                  until the family's absolute end
 *   rt:<sha256>        hash {user, fam, exp, succ?}      until the token's expiry
 *   grace:<sha256>     sealed successor                  for the grace window only
 *   idem:<user>:<key>  JSON {fp, status?, body?}         in flight: 5 min, done: 24 h
 *   posts:<user>       list of JSON posts                24 h after the last post
 *
 * Availability: commands fail fast while Redis is unreachable (no offline queue, a command
 * timeout) and every store call has a deadline of its own, also when Redis stalls with the socket
 * open; the error becomes StoreUnavailableError and the server answers 503; the client keeps
 * reconnecting in the background and the server recovers by itself.
 */

const CONNECT_TIMEOUT_MS = 2000;
const COMMAND_TIMEOUT_MS = 2000;
/** The whole store call, however many commands it sends (see withDeadline). */
const DEADLINE_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 1000;
const SCRIPT_SHA = createHash('sha1').update(ROTATE_SCRIPT).digest('hex');

export class StoreConnectError extends Error {
  override name = 'StoreConnectError' as const;
}

export interface RedisStoreOptions {
  /** Key prefix, so tests (or apps) can share one Redis. @default 'auth-fetch:' */
  prefix?: string;
  log?: (line: string) => void;
}

/** Shows where we tried to connect without printing a password. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Connects or fails within CONNECT_TIMEOUT_MS, naming REDIS_URL; no retry loop at start-up. */
export async function connectRedisStore(url: string, options: RedisStoreOptions = {}): Promise<Store> {
  const log = options.log ?? (() => undefined);
  let connected = false;
  let client: ReturnType<typeof createClient>;
  try {
    client = createClient({
      url,
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        // Before the first connection a failure is final (a clear error, not a hang);
        // afterwards we retry forever with a capped delay, so the server recovers by itself.
        reconnectStrategy: (retries) => (connected ? Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) : false),
      },
    });
  } catch (error) {
    throw new StoreConnectError(`REDIS_URL ${redact(url)} is not a valid Redis URL: ${(error as Error).message}`);
  }
  let lastError = '';
  client.on('error', (error: Error) => {
    // Without a listener node-redis errors would crash the process; log each new kind once.
    if (error.message !== lastError) log(`redis: ${error.message}`);
    lastError = error.message;
  });
  client.on('ready', () => {
    if (connected) log('redis: reconnected');
    lastError = '';
  });
  try {
    await client.connect();
    // A server that wants AUTH, or is still loading, answers PING with an error: fail now, clearly.
    await client.ping();
  } catch (error) {
    await client.destroy();
    throw new StoreConnectError(`cannot connect to REDIS_URL ${redact(url)}: ${(error as Error).message || String(error)}`);
  }
  connected = true;
  return createRedisStore(client, options.prefix ?? 'auth-fetch:');
}

type Client = ReturnType<typeof createClient>;

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

function createRedisStore(client: Client, prefix: string): Store {
  const key = (...parts: string[]): string => prefix + parts.join(':');

  const runRotate = async (keys: string[], args: string[]): Promise<string[]> => {
    try {
      return (await client.evalSha(SCRIPT_SHA, { keys, arguments: args })) as string[];
    } catch (error) {
      // A restarted Redis has an empty script cache: send the script once, then EVALSHA again.
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await client.eval(ROTATE_SCRIPT, { keys, arguments: args })) as string[];
    }
  };

  return {
    createFamily: (family) =>
      guard(async () => {
        const famKey = key('fam', family.familyId);
        const tokenKey = key('rt', family.tokenHash);
        await client
          .multi()
          .hSet(famKey, { user: family.userId, exp: String(family.familyExpiresAt) })
          .pExpireAt(famKey, family.familyExpiresAt)
          .hSet(tokenKey, { user: family.userId, fam: family.familyId, exp: String(family.tokenExpiresAt) })
          .pExpireAt(tokenKey, family.tokenExpiresAt)
          .exec();
      }),

    rotateRefreshToken: (request) =>
      guard(async (): Promise<RotateOutcome> => {
        const reply = await runRotate(
          [key('rt', request.presentedHash), key('rt', request.successorHash), key('grace', request.presentedHash)],
          [
            prefix,
            request.successorHash,
            request.successorSealed,
            String(request.now),
            String(request.refreshTtlMs),
            String(request.graceMs),
          ],
        );
        const [kind, userId = '', familyId = '', third = '', sealed = ''] = reply;
        if (kind === 'rotated') return { kind, session: { userId, familyId, expiresAt: Number(third) } };
        if (kind === 'grace') return { kind, session: { userId, familyId, expiresAt: Number(third) }, successorSealed: sealed };
        if (kind === 'reused') return { kind, userId, familyId, revoked: third === '1' };
        return { kind: 'invalid' };
      }),

    revokeFamilyOf: (tokenHash) =>
      guard(async () => {
        // Two steps are fine here: a token's family never changes once written.
        const familyId = await client.hGet(key('rt', tokenHash), 'fam');
        if (familyId) await client.del(key('fam', familyId));
      }),

    claimIdempotencyKey: (idemKey, fingerprint, inFlightTtlMs) =>
      guard(async (): Promise<IdempotencyClaim> => {
        const k = key('idem', idemKey);
        // SET NX is the atomic claim; if the holder's record expires between SET and GET, claim again.
        for (let attempt = 0; attempt < 3; attempt += 1) {
          if ((await client.set(k, JSON.stringify({ fp: fingerprint }), { NX: true, PX: inFlightTtlMs })) === 'OK') {
            return { kind: 'claimed' };
          }
          const raw = await client.get(k);
          if (raw === null) continue;
          const record = JSON.parse(raw) as { fp: string; status?: number; body?: string };
          return record.status === undefined || record.body === undefined
            ? { kind: 'in_flight', fingerprint: record.fp }
            : { kind: 'done', fingerprint: record.fp, response: { status: record.status, body: record.body } };
        }
        throw new StoreUnavailableError('redis: idempotency key kept vanishing');
      }),

    completeIdempotencyKey: (idemKey, fingerprint, response, ttlMs) =>
      guard(async () => {
        const record = JSON.stringify({ fp: fingerprint, status: response.status, body: response.body });
        await client.set(key('idem', idemKey), record, { PX: ttlMs });
      }),

    releaseIdempotencyKey: (idemKey) =>
      guard(async () => {
        await client.del(key('idem', idemKey));
      }),

    addPost: (post, ttlMs) =>
      guard(async () => {
        const k = key('posts', post.author);
        await client.multi().rPush(k, JSON.stringify(post)).pExpire(k, ttlMs).exec();
      }),

    listPosts: (author) =>
      guard(async () => (await client.lRange(key('posts', author), 0, -1)).map((raw) => JSON.parse(raw) as Post)),

    async close() {
      // A graceful QUIT needs a live connection; while reconnecting, just drop the socket.
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}
