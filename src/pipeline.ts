/**
 * The request pipeline: the token to send (after start-up, refreshed first when stale), the send,
 * the answer classified, and at most one replay after our own token's 401.
 */
import type { Clock } from './clock.js';
import { SessionEndedError } from './errors.js';
import type { AuthEvent } from './events.js';
import type { Config } from './options.js';
import type { Origins } from './origins.js';
import type { Refresher } from './refresh.js';
import { prepare, requestUrl, type Prepared } from './request.js';
import type { Session } from './session.js';
import { isExpired, isNewer, type Token } from './token.js';
import { follow, until } from './wait.js';

interface Parts {
  config: Config;
  clock: Clock;
  session: Session;
  origins: Origins;
  refresher: Refresher;
  emit(event: AuthEvent): void;
  /** Start-up's promise (started by the first request if nothing started it before), or undefined once it settled. */
  startup(): Promise<unknown> | undefined;
  /** `dispose()`. */
  closing: AbortSignal;
}

export function createPipeline({ config, clock, session, origins, refresher, emit, startup, closing }: Parts) {
  /** The token to send: waits for start-up, refreshes first when it is stale (proactive). */
  async function tokenFor(signal: AbortSignal): Promise<Token | undefined> {
    const starting = startup();
    if (starting) await until(starting, signal);
    if (session.getState().status === 'anonymous') return undefined;
    const current = session.token();
    if (session.isUsable(current)) return current;
    const outcome = await until(refresher.refresh(current ? 'proactive' : 'startup'), signal);
    if (outcome.kind === 'ok') return outcome.token;
    // The session this request was made in is over; without one (start-up found none) it goes out as it is.
    if (outcome.kind === 'rejected' && current) throw new SessionEndedError('rejected');
    if (outcome.kind === 'rejected') return undefined;
    // The refresh failed but the token has not expired yet: better to use it than to fail the request.
    if (current && !isExpired(current, clock.serverNow())) return current;
    throw outcome.error;
  }

  /**
   * The token to replay with after `sent` was refused (reactive), or undefined to return the 401 as
   * is: when the refresh token is refused, a request that holds its 401 answers with it.
   */
  async function replacementFor(sent: Token, signal: AbortSignal): Promise<Token | undefined> {
    // A late 401 for a request sent before the last refresh: the current token answers it.
    const current = session.token();
    if (session.isUsable(current) && isNewer(current, sent)) return current;
    const outcome = await until(refresher.refresh('reactive', sent), signal);
    if (outcome.kind === 'ok') return outcome.token;
    if (outcome.kind === 'rejected') return undefined;
    throw outcome.error;
  }

  async function send(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = origins.authenticated(requestUrl(input));
    const request = url && prepare(input, init, url, config, clock);
    if (!request) return config.fetch(input, init);
    // The caller's abort also ends our waits (start-up, a refresh), not only the fetch itself; a
    // logout ends them too, until an answer is returned.
    const controller = new AbortController();
    const unfollow = [session.signal(), closing, request.signal].map((source) => follow(controller, source));
    try {
      return await sendAndReplay(request, controller.signal);
    } finally {
      for (const undo of unfollow) undo();
    }
  };

  /** Sends `request` with the token, and replays it once after our own token's 401. */
  async function sendAndReplay(request: Prepared, signal: AbortSignal): Promise<Response> {
    // The common case needs no wait: start-up is over and the token is fresh.
    const held = session.token();
    const sent = !startup() && session.isUsable(held) ? held : await tokenFor(signal);
    const era = session.era();
    const { response, challenged } = await request.send(sent, signal);
    // Not ours to answer: a 401 from an older era (the session ended, or a login began, since it
    // was sent), or from another origin a trusted one redirected to; or a proof's challenge.
    const foreign = session.era() !== era || (response.redirected && !origins.authenticated(response.url));
    if (!sent || foreign || challenged || !config.shouldRefresh(response)) return response;
    if (!request.replayable) {
      // Cannot be sent again, but the next request should find a fresh token.
      void refresher.refresh('reactive', sent);
      return response;
    }
    const next = await replacementFor(sent, signal);
    // Never replayed into another era: the session ended during the refresh (and maybe a login followed).
    if (!next || session.era() !== era) return response;
    void response.body?.cancel().catch(() => {});
    emit({ type: 'replay', method: request.method, url: request.url.href });
    return (await request.send(next, signal)).response;
  }

  return send;
}
