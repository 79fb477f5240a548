import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { IDEMPOTENCY_TTL_MS } from '../config.js';
import { sleep, type Handler, type ServerContext } from '../context.js';
import { HttpError, badRequest, parseJsonObject, readBody, requiredString, sendJson } from '../http/messages.js';
import { runIdempotent } from './idempotency.js';
import { limitReachedError } from '../http/limits.js';
import type { Post } from '../store/store.js';
import { userExists } from '../auth/users.js';
import { accessChallenge, accessProofRefusal, verifyAccess } from '../auth/dpop-sessions.js';

/**
 * The protected API: `GET /api/me`, `GET /api/posts`, `POST /api/posts`. Access tokens travel as
 * `Authorization: Bearer` (RFC 6750 §2.1); failures answer 401 with the `WWW-Authenticate`
 * challenge of RFC 6750 §3, which is what tells the client to refresh.
 */


/** Posts live as long as idempotency records do: this is a demo, not a database. */
const POST_TTL_MS = IDEMPOTENCY_TTL_MS;
/** `GET /api/posts` answers at most this many posts at once. */
const PAGE_SIZE = 100;
const MAX_UINT64 = 2n ** 64n - 1n;

async function authenticate(req: IncomingMessage, ctx: ServerContext): Promise<string> {
  // `Authorization: Bearer`, or `DPoP` with a proof (auth/dpop-sessions.ts).
  const check = await verifyAccess(req, ctx);
  // No credentials for our scheme: a bare challenge without an error code (RFC 6750 §3.1).
  if (!check) {
    throw new HttpError(401, 'missing_token', 'An access token is required', { 'www-authenticate': accessChallenge(ctx, undefined) });
  }
  if (!check.ok && (check.error === 'invalid_dpop_proof' || check.error === 'use_dpop_nonce')) throw accessProofRefusal(ctx, check);
  const challenge = (description: string): string => accessChallenge(ctx, check.scheme, 'invalid_token', description);
  // The denylist does not reach back before `denylistSince` (a memory store forgets it on restart):
  // a token issued before then may have been logged out, so it is refused (issue 18).
  if (check.ok && check.issuedAt < Math.floor(ctx.store.denylistSince / 1000) * 1000) {
    throw new HttpError(401, 'token_revoked', 'The access token predates this server\'s denylist; refresh it', {
      'www-authenticate': challenge('The access token was issued before a restart'),
    });
  }
  if (check.ok && userExists(check.userId)) {
    // Logged out before its exp: the denylist ends it. Fails closed: no store, no answer (503).
    if (await ctx.store.isAccessTokenDenied(check.jti)) {
      throw new HttpError(401, 'token_revoked', 'The access token was revoked (logout)', {
        'www-authenticate': challenge('The access token was revoked'),
      });
    }
    return check.userId;
  }
  if (!check.ok && check.error === 'token_expired') {
    throw new HttpError(401, 'token_expired', 'The access token expired', {
      'www-authenticate': challenge('The access token expired'),
    });
  }
  throw new HttpError(401, 'invalid_token', 'The access token is invalid', {
    'www-authenticate': challenge('The access token is invalid'),
  });
}

export const me: Handler = async (req, res, ctx) => {
  const userId = await authenticate(req, ctx);
  sendJson(res, 200, { id: userId, name: userId });
};

/** `GET /api/posts?after=<cursor>&limit=<1..100>`: one page, oldest first, and the next page's cursor. */
function parsePageQuery(url: string | undefined): { after?: string; limit: number } {
  const query = new URL(url ?? '/', 'http://placeholder').searchParams;
  const after = query.get('after');
  const limitText = query.get('limit') ?? String(PAGE_SIZE);
  const limit = Number(limitText);
  if (!/^[0-9]{1,3}$/.test(limitText) || limit < 1 || limit > PAGE_SIZE) {
    throw badRequest(`\`limit\` must be a whole number from 1 to ${PAGE_SIZE}`);
  }
  if (after === null) return { limit };
  // Cursors are what a previous page's `next` said: a number or a Redis stream id, each part an
  // unsigned 64-bit integer (Redis answers anything larger with an error, issue 18), and not the
  // very last id, after which Redis has no next one to start from.
  const parts = /^([0-9]{1,20})(?:-([0-9]{1,20}))?$/.exec(after);
  const fits = (part: string | undefined) => part === undefined || BigInt(part) <= MAX_UINT64;
  const last = parts?.[1] !== undefined && BigInt(parts[1]) === MAX_UINT64 && (parts[2] === undefined || BigInt(parts[2]) === MAX_UINT64);
  if (!parts || !fits(parts[1]) || !fits(parts[2]) || last) throw badRequest('`after` must be the `next` cursor of a previous page');
  return { after, limit };
}

export const listPosts: Handler = async (req, res, ctx) => {
  const userId = await authenticate(req, ctx);
  const page = await ctx.store.listPosts(userId, parsePageQuery(req.url));
  sendJson(res, 200, page);
};

function parsePostInput(body: Buffer): { title: string; body: string } {
  const input = parseJsonObject(body);
  const title = requiredString(input, 'title', 200);
  if (input.body !== undefined && (typeof input.body !== 'string' || input.body.length > 10_000)) {
    throw badRequest('`body` must be a string of at most 10000 characters');
  }
  return { title, body: input.body ?? '' };
}

export const createPost: Handler = async (req, res, ctx) => {
  const userId = await authenticate(req, ctx);
  const raw = await readBody(req);
  const input = parsePostInput(raw);
  await runIdempotent(req, res, ctx, { userId, body: raw }, async (run) => {
    // The artificial delay makes "a request with this key is in flight" observable in tests.
    if (ctx.options.postDelayMs > 0) await sleep(ctx.options.postDelayMs);
    const post: Post = { id: randomUUID(), author: userId, createdAt: new Date().toISOString(), ...input };
    const response = { status: 201, body: JSON.stringify(post) };
    // The post and its key's "done" in one store step: after a lost answer, both or neither exist.
    const completion = run.completion(response);
    const added = await ctx.store.addPost(post, POST_TTL_MS, completion);
    // Thrown, not answered: the idempotency layer then frees the key for a later retry.
    if (added.kind === 'limit_reached') throw limitReachedError(added);
    ctx.stats.postsCreated += 1;
    return { response, completed: completion !== undefined };
  });
};
