import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handler, ServerContext } from '../context.js';
import { injectRefreshFault } from '../http/faults.js';
import { limitReachedError } from '../http/limits.js';
import { HttpError, parseJsonObject, readBody, requiredString, sendJson, sendNoContent } from '../http/messages.js';
import { clearedSessionCookies, readRefreshCookie, sessionCookies } from './session-cookies.js';
import { securityEvent } from '../stats.js';
import { hashRefreshToken, newRefreshToken } from './tokens.js';
import { verifyPassword } from './users.js';
import { boundRefreshToken, logoutKey, refreshKey, tokenEndpointKey, verifyAccess } from './dpop-sessions.js';

/**
 * `/auth/login`, `/auth/refresh`, `/auth/logout`. Refresh tokens rotate on every use and a
 * rotated token presented again revokes its whole family (RFC 9700 §2.2.2 and §4.14.2), except
 * within the grace window, where racing tabs all get the same successor and end on one token.
 */

const SECONDS = 1000;

async function answerWithTokens(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ServerContext,
  session: { userId: string; raw: string; expiresAt: number; now: number; jkt: string | undefined },
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

function refused(req: IncomingMessage, code: string, message: string): HttpError {
  // Clearing the cookies stops the browser from presenting a dead token again and again.
  return new HttpError(401, code, message, { 'set-cookie': clearedSessionCookies(req) });
}

export const login: Handler = async (req, res, ctx) => {
  ctx.origins.assertAllowed(req);
  const jkt = await tokenEndpointKey(req, ctx);
  const body = parseJsonObject(await readBody(req));
  const username = requiredString(body, 'username', 256);
  const password = requiredString(body, 'password', 1024);
  const userId = await verifyPassword(username, password);
  if (!userId) {
    ctx.log(`login failed for ${JSON.stringify(username.slice(0, 64))}`);
    throw new HttpError(401, 'invalid_credentials', 'Unknown user name or wrong password');
  }
  const now = Date.now();
  const { raw } = newRefreshToken();
  const hash = hashRefreshToken(boundRefreshToken(raw, jkt));
  const familyExpiresAt = now + ctx.options.familyTtl * SECONDS;
  const tokenExpiresAt = Math.min(now + ctx.options.refreshTtl * SECONDS, familyExpiresAt);
  const created = await ctx.store.createFamily({ familyId: randomUUID(), userId, familyExpiresAt, tokenHash: hash, tokenExpiresAt });
  if (created.kind === 'limit_reached') throw limitReachedError(created);
  await answerWithTokens(req, res, ctx, { userId, raw, expiresAt: tokenExpiresAt, now, jkt });
};

export const refresh: Handler = async (req, res, ctx) => {
  ctx.origins.assertAllowed(req);
  if (await injectRefreshFault(ctx.options.refreshFaultRate, req, res, ctx.stats)) return;
  const cookie = readRefreshCookie(req);
  if (!cookie) throw refused(req, 'invalid_refresh_token', 'No refresh token cookie');
  // Refused here, before anything rotates, unless proved with the session's key (DPoP).
  const jkt = await refreshKey(req, ctx);
  const presented = boundRefreshToken(cookie, jkt);

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
      const sent = delivery(res);
      let delivered = false;
      if (!req.socket.destroyed) {
        await answerWithTokens(req, res, ctx, { ...outcome.session, raw: successor.raw, now, jkt });
        delivered = await sent;
      }
      // A successor the client never got is a lost answer, not a theft: take the rotation back so
      // the cookie it still holds keeps working (otherwise its next refresh revokes the session).
      if (!delivered) {
        ctx.log(`refresh answer lost (client gone): rotation undone for ${outcome.session.userId}`);
        await ctx.store.undoRotation(hashRefreshToken(presented), successorHash);
      }
      return;
    }
    case 'grace': {
      stats.refreshTokensPresentedTwice += 1;
      const raw = ctx.tokens.open(outcome.successorSealed);
      // Sealed by an instance with another JWT_SECRET: we cannot re-send it, so refuse.
      if (!raw) throw refused(req, 'invalid_refresh_token', 'Refresh token cannot be renewed here');
      stats.refreshGraceReplays += 1;
      return answerWithTokens(req, res, ctx, { ...outcome.session, raw, now, jkt });
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

export const logout: Handler = async (req, res, ctx) => {
  ctx.origins.assertAllowed(req);
  const jkt = await logoutKey(req, ctx);
  const presented = readRefreshCookie(req);
  if (presented) await ctx.store.revokeFamilyOf(hashRefreshToken(boundRefreshToken(presented, jkt)));
  // The access token sent along ends too, not only at its exp: its jti goes on the denylist.
  const access = await verifyAccess(req, ctx);
  if (access?.ok) await ctx.store.denyAccessToken(access.jti, access.expiresAt);
  sendNoContent(res, { 'set-cookie': clearedSessionCookies(req) });
};
