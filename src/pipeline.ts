/**
 * The request pipeline: the token to send (after start-up, refreshed first when stale), the send,
 * the answer classified, and at most one replay after our own token's 401.
 */
import { parseDate, type Clock } from './clock.js';
import { isSessionEndedError } from './errors.js';
import type { Observable } from './observable.js';
import type { Config } from './options.js';
import type { Origins } from './origins.js';
import type { Refresher } from './refresh.js';
import { prepare, requestUrl } from './replay.js';
import type { Session } from './session.js';
import { isExpired, isNewer, type Token } from './token.js';
import { follow, within } from './wait.js';

interface Parts {
  config: Config;
  clock: Clock;
  session: Session;
  observable: Observable;
  origins: Origins;
  refresher: Refresher;
  /** Start-up's promise, started by the first request if nothing started it before. */
  ready(): Promise<unknown>;
  startupSettled(): boolean;
}

export function createPipeline({ config, clock, session, observable, origins, refresher, ready, startupSettled }: Parts) {
  /** The token to send: waits for start-up, refreshes first when it is stale (proactive). */
  async function tokenFor(signal: AbortSignal): Promise<Token | undefined> {
    if (!startupSettled()) await within(ready(), signal);
    if (observable.get().status === 'anonymous') return undefined;
    const current = session.token();
    if (session.isUsable(current)) return current;
    // If the refresh is rejected the session ends and `signal` aborts: the request ends with SessionEndedError.
    const outcome = await within(refresher.refresh(current ? 'proactive' : 'startup'), signal);
    if (outcome.kind === 'ok') return outcome.token;
    if (outcome.kind === 'rejected') return undefined;
    // The refresh failed but the token has not expired yet: better to use it than to fail the request.
    if (current && !isExpired(current, clock.serverNow())) return current;
    throw outcome.error;
  }

  /** The token to replay with after `sent` was refused (reactive), or undefined to return the 401 as is. */
  async function replacementFor(sent: Token, signal: AbortSignal): Promise<Token | undefined> {
    // A late 401 for a request sent before the last refresh: the current token answers it.
    const current = session.token();
    if (session.isUsable(current) && isNewer(current, sent)) return current;
    let outcome;
    try {
      outcome = await within(refresher.refresh('reactive', sent), signal);
    } catch (error) {
      // The refusal ended the session (and aborted this wait): with a 401 in hand, that 401 is the answer.
      if (isSessionEndedError(error) && error.reason === 'rejected') return undefined;
      throw error;
    }
    if (outcome.kind === 'ok') return outcome.token;
    if (outcome.kind === 'rejected') return undefined;
    throw outcome.error;
  }

  /** A trusted server's `Date` is a server time the clock learns from (cross-origin only when CORS exposes it). */
  function learnTime(response: Response, sentAt: number): void {
    const skew = clock.skew();
    clock.observe(parseDate(response.headers.get('date')), sentAt, clock.now());
    if (clock.skew() !== skew) session.clockMoved();
  }

  return async function send(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = origins.authenticated(requestUrl(input));
    const request = url && prepare(input, init, url, config);
    if (!request) return config.fetch(input, init);
    const controller = session.enlist();
    const { signal } = controller;
    // The caller's abort must also end our waits (start-up, a refresh), not only the fetch itself.
    const unfollow = follow(controller, request.signal);
    try {
      const sent = await tokenFor(signal);
      const era = session.era();
      const sentAt = clock.now();
      const { response, challenged } = await request.send(sent, signal);
      learnTime(response, sentAt);
      // Not ours to answer: a 401 from an older era (the session ended, or a login began, since it
      // was sent), or from another origin a trusted one redirected to.
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
      observable.emit({ type: 'replay', method: request.method, url: request.url.href });
      return (await request.send(next, signal)).response;
    } finally {
      session.release(controller);
      unfollow();
    }
  };
}
