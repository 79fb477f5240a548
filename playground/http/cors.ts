import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { HttpError, sendError, sendNoContent } from './messages.js';

/**
 * CORS with credentials for an explicit list of origins, never a wildcard (a wildcard with
 * credentials is refused by browsers, and reflecting any Origin would hand tokens to any site).
 * The same list guards `/auth/*` against cross-site requests: SameSite=Strict already keeps the
 * cookie off them, the Origin check is a second lock for older browsers and same-site subdomains.
 */

export const REPLAY_HEADER = 'Idempotent-Replayed';

const ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, DPoP';
const ALLOW_METHODS = 'GET, POST, OPTIONS';

export interface OriginPolicy {
  /** CORS headers for this request's Origin (empty when there is no allowed Origin). */
  corsHeaders(req: IncomingMessage): OutgoingHttpHeaders;
  /** Throws 403 `origin_not_allowed` when an Origin is present and not on the list. */
  assertAllowed(req: IncomingMessage): void;
  /** Answers an OPTIONS preflight. */
  preflight(req: IncomingMessage, res: ServerResponse): void;
}

export function createOriginPolicy(allowedOrigins: readonly string[]): OriginPolicy {
  const allowed = new Set(allowedOrigins);
  const isAllowed = (origin: string | undefined): origin is string => origin !== undefined && allowed.has(origin);

  const corsHeaders = (req: IncomingMessage): OutgoingHttpHeaders => {
    const origin = req.headers.origin;
    if (!isAllowed(origin)) return { vary: 'Origin' };
    return {
      vary: 'Origin',
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      // DPoP-Nonce: a cross-origin client must read it to answer a nonce challenge (RFC 9449 §8).
      'access-control-expose-headers': `${REPLAY_HEADER}, WWW-Authenticate, DPoP-Nonce`,
    };
  };

  return {
    corsHeaders,

    assertAllowed(req) {
      const origin = req.headers.origin;
      // `Origin: null` (sandboxed frames, some redirects) is present and not allowed.
      if (origin !== undefined && !isAllowed(origin)) {
        throw new HttpError(403, 'origin_not_allowed', 'This origin may not use the session cookie');
      }
    },

    preflight(req, res) {
      if (!isAllowed(req.headers.origin)) {
        sendError(res, new HttpError(403, 'origin_not_allowed', 'This origin is not allowed'));
        return;
      }
      sendNoContent(res, {
        ...corsHeaders(req),
        'access-control-allow-methods': ALLOW_METHODS,
        'access-control-allow-headers': ALLOW_HEADERS,
        'access-control-max-age': '600',
      });
    },
  };
}
