import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep, type Handler, type ServerContext } from '../context.js';
import { injectRefreshFault } from '../http/faults.js';
import { limitReachedError } from '../http/limits.js';
import { HttpError, parseJsonObject, readBody, requiredString, sendJson, sendNoContent } from '../http/messages.js';
import {
  clearedSessionCookies,
  clearedTossedCookies,
  readRefreshCookie,
  sessionCookies,
  type PresentedRefreshCookie,
} from './session-cookies.js';
import { securityEvent } from '../stats.js';
import { hashRefreshToken, newRefreshToken } from './tokens.js';
import { userExists, verifyPassword } from './users.js';
import { beginLoginAttempt, type LoginAttempt } from './login-throttle.js';
import { boundRefreshToken, logoutKey, refreshKey, tokenEndpointKey, verifyAccess } from './dpop-sessions.js';

/**
 * `/auth/login`, `/auth/refresh`, `/auth/logout`. Refresh tokens rotate on every use and a
 * rotated token presented again revokes its whole family (RFC 9700 §2.2.2 and §4.14.2), except
 * within the grace window, where racing tabs all get the same successor and end on one token.
 */

const SECONDS = 1000;

/** A session's tokens to answer with; `jkt` is the key a DPoP session is bound to (undefined: bearer). */
interface IssuedSession {
  userId: string;
  raw: string;
  expiresAt: number;
  now: number;
  jkt: string | undefined;
}

async function answerWithTokens(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ServerContext,
  session: IssuedSession,
): Promise<void> {
  const { accessToken, expiresIn } = await ctx.tokens.issueAccessToken(session.userId, session.jkt);
  // RFC 9449 §5: the client learns that the token is bound (and must go as `Authorization: DPoP`).
  const tokenType = session.jkt === undefined ? {} : { tokenType: 'DPoP' };
  sendJson(res, 200, { accessToken, expiresIn, ...tokenType }, {
    'set-cookie': sessionCookies(req, session.raw, session.expiresAt, session.now, session.jkt),
  });
}

/** Resolves true once the answer is handed to the OS, false if the client went before that. */
function delivery(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    res.once('finish', () => resolve(true));
    res.once('close', () => resolve(res.writableFinished));
  });
}

/** Sends the tokens unless the client is gone; true only if the answer reached the OS. */
async function deliverTokens(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ServerContext,
  session: IssuedSession,
): Promise<boolean> {
  if (req.socket.destroyed) return false;
  const sent = delivery(res);
  await answerWithTokens(req, res, ctx, session);
  return sent;
}

function refused(req: IncomingMessage, code: string, message: string): HttpError {
  // Clearing the cookies stops the browser from presenting a dead token again and again.
  return new HttpError(401, code, message, { 'set-cookie': clearedSessionCookies(req) });
}

/**
 * A login refused unchecked (429 throttled, 503 busy) is answered after this long. Answered at
 * once, 32 flooding clients send thousands of refusable logins a second and take the CPU from every
 * other route; held, about 32 a second. A held answer costs an open socket, not CPU.
 */
const REFUSAL_HOLD_MS = 1000;

const isUncheckedRefusal = (error: unknown): boolean =>
  error instanceof HttpError && (error.code === 'login_throttled' || error.code === 'login_busy');

/** The password check, throttled and in a hashing slot; the user id, or a 401/429/503 thrown. */
async function checkCredentials(req: IncomingMessage, ctx: ServerContext, username: string, password: string): Promise<string> {
  let attempt: LoginAttempt;
  let userId: string | undefined;
  try {
    attempt = await beginLoginAttempt(req, username, ctx);
    userId = await ctx.hashingSlots.run(() => verifyPassword(username, password));
  } catch (error) {
    if (isUncheckedRefusal(error)) await sleep(REFUSAL_HOLD_MS);
    throw error;
  }
  if (!userId) {
    await attempt.failed();
    ctx.loginLog.failed(userExists(username) ? username : undefined);
    throw new HttpError(401, 'invalid_credentials', 'Unknown user name or wrong password');
  }
  await attempt.succeeded();
  return userId;
}

export const login: Handler = async (req, res, ctx) => {
  ctx.origins.assertAllowed(req);
  const jkt = await tokenEndpointKey(req, ctx);
  const body = parseJsonObject(await readBody(req));
  const username = requiredString(body, 'username', 256);
  const password = requiredString(body, 'password', 1024);
  const userId = await checkCredentials(req, ctx, username, password);
  const now = Date.now();
  const { raw } = newRefreshToken();
  const hash = hashRefreshToken(boundRefreshToken(raw, jkt));
  const familyExpiresAt = now + ctx.options.familyTtl * SECONDS;
  const tokenExpiresAt = Math.min(now + ctx.options.refreshTtl * SECONDS, familyExpiresAt);
  const created = await ctx.store.createFamily({ familyId: randomUUID(), userId, familyExpiresAt, tokenHash: hash, tokenExpiresAt });
  if (created.kind === 'limit_reached') throw limitReachedError(created);
  // A session whose cookie never arrived would hold one of the user's sessionsPerUser slots for
  // the token's lifetime, unusable: take it back (issue 18, as a lost rotation is undone).
  if (!(await deliverTokens(req, res, ctx, { userId, raw, expiresAt: tokenExpiresAt, now, jkt }))) {
    ctx.log(`login answer lost (client gone): session removed for ${userId}`);
    await ctx.store.revokeFamilyOf(hash);
  }
};

/** Several refresh cookies: one was planted (cookie tossing). Use none, rotate nothing, clear what we can. */
function ambiguous(req: IncomingMessage, ctx: ServerContext): HttpError {
  securityEvent(ctx.stats, ctx.log, 'refresh_cookie_ambiguous', {
    origin: req.headers.origin ?? null,
    remoteAddress: req.socket.remoteAddress ?? null,
  });
  return new HttpError(401, 'ambiguous_refresh_token', 'Several refresh token cookies were sent; another site or port set one. Sign in again', {
    'set-cookie': clearedTossedCookies(req),
  });
}

export const refresh: Handler = async (req, res, ctx) => {
  ctx.origins.assertAllowed(req);
  if (await injectRefreshFault(ctx.options.refreshFaultRate, req, res, ctx.stats)) return;
  const cookie = readRefreshCookie(req);
  if (cookie.kind === 'ambiguous') throw ambiguous(req, ctx);
  if (cookie.kind === 'none') throw refused(req, 'invalid_refresh_token', 'No refresh token cookie');
  // Refused here, before anything rotates, unless proved with the session's key (DPoP).
  const jkt = await refreshKey(req, ctx);
  const presented = boundRefreshToken(cookie.token, jkt);

  const now = Date.now();
  const successor = newRefreshToken();
  const successorHash = hashRefreshToken(boundRefreshToken(successor.raw, jkt));
  const outcome = await ctx.store.rotateRefreshToken({
    presentedHash: hashRefreshToken(presented),
    successorHash,
    successorSealed: ctx.tokens.seal(successor.raw),
    now,
    refreshTtlMs: ctx.options.refreshTtl * SECONDS,
    graceMs: ctx.options.reuseGrace * SECONDS,
  });
  const { stats } = ctx;

  switch (outcome.kind) {
    case 'rotated': {
      stats.refreshRotations += 1;
      if (await deliverTokens(req, res, ctx, { ...outcome.session, raw: successor.raw, now, jkt })) return;
      // A successor the client never got is a lost answer, not a theft: take the rotation back so
      // the cookie it still holds keeps working (otherwise its next refresh revokes the session).
      const undone = await ctx.store.undoRotation(hashRefreshToken(presented), successorHash);
      ctx.log(`refresh answer lost (client gone): ${undone ? 'rotation undone' : 'rotation kept (its successor was used or a grace answer is out)'} for ${outcome.session.userId}`);
      return;
    }
    case 'grace': {
      stats.refreshTokensPresentedTwice += 1;
      const raw = ctx.tokens.open(outcome.successorSealed);
      if (!raw) {
        // Sealed by an instance with another JWT_SECRET: we cannot re-send it, so refuse.
        await ctx.store.graceAnswerLost(outcome.successorHash);
        throw refused(req, 'invalid_refresh_token', 'Refresh token cannot be renewed here');
      }
      stats.refreshGraceReplays += 1;
      if (await deliverTokens(req, res, ctx, { ...outcome.session, raw, now, jkt })) return;
      // Lost too: the successor was not handed out by this answer; a waiting undo may now run.
      const undone = await ctx.store.graceAnswerLost(outcome.successorHash);
      ctx.log(`refresh grace answer lost (client gone)${undone ? ': rotation undone' : ''} for ${outcome.session.userId}`);
      return;
    }
    case 'reused':
      stats.refreshTokensPresentedTwice += 1;
      stats.refreshReused += 1;
      securityEvent(stats, ctx.log, 'refresh_token_reused', {
        userId: outcome.userId,
        familyId: outcome.familyId,
        origin: req.headers.origin ?? null,
        remoteAddress: req.socket.remoteAddress ?? null,
      });
      throw refused(req, 'refresh_token_reused', 'Refresh token was already used; the session is revoked');
    case 'invalid':
      throw refused(req, 'invalid_refresh_token', 'Refresh token is unknown, expired or revoked');
  }
};

/** Logout ends what the cookies name; with several, all of them (the planted one is asked to end too). */
function tokensToEnd(cookie: PresentedRefreshCookie): string[] {
  if (cookie.kind === 'one') return [cookie.token];
  if (cookie.kind === 'ambiguous') return cookie.tokens;
  return [];
}

export const logout: Handler = async (req, res, ctx) => {
  ctx.origins.assertAllowed(req);
  const jkt = await logoutKey(req, ctx);
  const cookie = readRefreshCookie(req);
  // A DPoP session's tokens are stored bound to its key: each cookie is looked up with the proved one.
  for (const token of tokensToEnd(cookie)) await ctx.store.revokeFamilyOf(hashRefreshToken(boundRefreshToken(token, jkt)));
  // The access token sent along ends too, not only at its exp: its jti goes on the denylist.
  const access = await verifyAccess(req, ctx);
  if (access?.ok) await ctx.store.denyAccessToken(access.jti, access.expiresAt);
  sendNoContent(res, { 'set-cookie': cookie.kind === 'ambiguous' ? clearedTossedCookies(req) : clearedSessionCookies(req) });
};
