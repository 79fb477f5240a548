import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep } from '../context.js';
import { HttpError, sendError } from './messages.js';
import type { ServerStats } from '../stats.js';

/**
 * The fault switch for `/auth/refresh` (`refreshFaultRate`, env REFRESH_FAULT_RATE): lets the demo
 * and the soak test show how the client copes with a flaky refresh endpoint. It runs before the
 * refresh token is even read, so a fault never rotates a token the client did not receive: the
 * client retrying with its old token is not a second presentation.
 */

const SLOW_MIN_MS = 1000;
const SLOW_EXTRA_MS = 2000;

/** Returns true when the fault already answered (or dropped) the request. */
export async function injectRefreshFault(
  rate: number,
  req: IncomingMessage,
  res: ServerResponse,
  stats: ServerStats,
): Promise<boolean> {
  if (rate <= 0 || Math.random() >= rate) return false;
  stats.refreshFaults += 1;
  const kind = Math.floor(Math.random() * 3);
  if (kind === 0) {
    sendError(res, new HttpError(503, 'unavailable', 'Refresh is failing on purpose (fault injection)'));
    return true;
  }
  if (kind === 1) {
    req.socket.destroy();
    return true;
  }
  await sleep(SLOW_MIN_MS + Math.random() * SLOW_EXTRA_MS);
  // A client that gave up meanwhile must not have its token rotated behind its back: the answer
  // would be lost and its retry with the old token would count as a second presentation.
  return req.socket.destroyed;
}
