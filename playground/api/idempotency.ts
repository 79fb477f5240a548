import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IDEMPOTENCY_TTL_MS } from '../config.js';
import type { ServerContext } from '../context.js';
import { REPLAY_HEADER } from '../http/cors.js';
import { HttpError, badRequest, sendRawJson } from '../http/messages.js';
import { limitReachedError } from '../http/limits.js';
import { StoreUnavailableError, type IdempotencyCompletion, type StoredResponse } from '../store/store.js';

/**
 * `Idempotency-Key` for unsafe requests, after the IETF draft "The Idempotency-Key HTTP Header
 * Field" (draft-ietf-httpapi-idempotency-key-header): the first request with a key runs once and
 * its response is stored; a repeat with the same payload gets that response again (marked with
 * `Idempotent-Replayed: true`); a repeat while the first still runs gets 409; the same key with
 * another payload gets 422. Keys are scoped per user and forgotten after 24 h; a user holds at most
 * `idempotencyKeysPerUser` of them (a new key past that gets 429, see limits.ts).
 *
 * Without the header the request simply runs: it is not retry-safe, and the client library only
 * replays requests that carry a key.
 *
 * Exactly once, also when the store stalls (issue 18): a store call that failed with
 * StoreUnavailableError may still be applied later, so its outcome is unknown, and an unknown
 * outcome is never taken for "did not happen". The key is then not released: it stays in flight
 * (409 to a retry) until its claim expires. The operation may also complete the key itself in the
 * same store step as its write (`addPost` does), so the write and "done" cannot come apart.
 */

/** An in-flight claim outlives a crashed instance only this long, so a key is not stuck at 409. */
const IN_FLIGHT_TTL_MS = 5 * 60 * 1000;
const MAX_KEY_LENGTH = 255;

/**
 * The draft defines the value as a Structured Field string (`"…"`); bare tokens are accepted too.
 * One key per request: Node joins repeated header lines into one `"p, q"` string, so the lines are
 * read apart (`headersDistinct`), and a bare value with a comma is refused as well, since a proxy
 * may have combined two lines into it (RFC 9110 §5.3).
 */
function parseKey(lines: string[] | undefined): string | undefined {
  if (lines === undefined) return undefined;
  const value = (lines[0] ?? '').trim();
  const quoted = /^"(.*)"$/.exec(value);
  if (lines.length > 1 || (!quoted && value.includes(','))) throw badRequest('Send one `Idempotency-Key` header');
  const key = quoted ? quoted[1] ?? '' : value;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) {
    throw badRequest(`\`Idempotency-Key\` must be 1..${MAX_KEY_LENGTH} printable ASCII characters`);
  }
  return key;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('base64url');

/** What an operation learns about its key: how to complete it in the store step of its own write. */
export interface IdempotentRun {
  /** The completion to hand to the store with the write, for this response; undefined without a key. */
  completion(response: StoredResponse): IdempotencyCompletion | undefined;
}

/** What an operation answers; `completed` says the store already recorded it under the key. */
export interface IdempotentResult {
  response: StoredResponse;
  completed: boolean;
}

/**
 * Runs `operation` at most once per (user, key). `body` is the raw request body: the payload
 * fingerprint is its exact bytes, so the same JSON with another key order counts as different.
 */
export async function runIdempotent(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ServerContext,
  scope: { userId: string; body: Buffer },
  operation: (run: IdempotentRun) => Promise<IdempotentResult>,
): Promise<void> {
  const key = parseKey(req.headersDistinct['idempotency-key']);
  if (key === undefined) {
    const { response } = await operation({ completion: () => undefined });
    return sendRawJson(res, response.status, response.body);
  }

  const { userId } = scope;
  const storeKey = sha256(key);
  const fingerprint = sha256(`${req.method} ${req.url}\n${scope.body.toString('base64')}`);
  const claim = await ctx.store.claimIdempotencyKey(userId, storeKey, fingerprint, IN_FLIGHT_TTL_MS);
  if (claim.kind === 'limit_reached') throw limitReachedError(claim);

  if (claim.kind !== 'claimed' && claim.fingerprint !== fingerprint) {
    throw new HttpError(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request');
  }
  if (claim.kind === 'in_flight') {
    throw new HttpError(409, 'request_in_progress', 'A request with this Idempotency-Key is still being processed');
  }
  if (claim.kind === 'done') {
    ctx.stats.idempotentReplays += 1;
    return sendRawJson(res, claim.response.status, claim.response.body, { [REPLAY_HEADER]: 'true' });
  }

  const completion = (response: StoredResponse): IdempotencyCompletion => ({
    userId,
    key: storeKey,
    fingerprint,
    response,
    ttlMs: IDEMPOTENCY_TTL_MS,
  });
  let result: IdempotentResult;
  try {
    result = await operation({ completion });
  } catch (error) {
    // Unknown outcome (the store may still apply the write): keep the key in flight until it expires.
    if (error instanceof StoreUnavailableError) throw error;
    // Known not to have happened: free the key so the client's retry can run it.
    await ctx.store.releaseIdempotencyKey(userId, storeKey).catch(() => undefined);
    throw error;
  }
  const { response } = result;
  if (response.status >= 500) await ctx.store.releaseIdempotencyKey(userId, storeKey);
  else if (!result.completed) await ctx.store.completeIdempotencyKey(userId, storeKey, fingerprint, response, IDEMPOTENCY_TTL_MS);
  sendRawJson(res, response.status, response.body);
}
