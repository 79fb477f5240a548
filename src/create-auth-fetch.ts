/** Composition: the callable `authFetch` and its members, over the session, refresh, replay and tabs modules. */
import { LogoutError, RefreshError, SessionEndedError, isSessionEndedError, type SessionEndReason } from './errors.js';
import { normalizeOptions, type AuthFetchOptions } from './options.js';
import { createOrigins } from './origins.js';
import { callRefresh, type RefreshOutcome } from './refresh.js';
import { prepare, requestUrl } from './replay.js';
import { createSession, type AuthEvent, type RefreshReason, type SessionState } from './session.js';
import { createTabs } from './tabs.js';
import { isBearerToken, isExpired, isExpiresIn, isNewer, isStale, toToken, type Token } from './token.js';
import { follow, sleep, within } from './wait.js';

export interface AuthFetch {
  /** `fetch`, with the access token attached to trusted origins, refreshed and replayed as needed. */
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Starts a session with the token a login returned (the refresh token is the server's cookie). */
  setTokens(tokens: { accessToken: string; expiresIn?: number }): void;
  /** Forces a refresh (joining one already running, here or in another tab); resolves to the new access token. */
  refresh(): Promise<string>;
  /** Ends the session in every tab at once, aborts pending requests, then tells the server. */
  logout(): Promise<void>;
  /** Settles with the state once start-up knows it (from another tab, or one refresh). Never rejects. */
  readonly ready: Promise<SessionState>;
  getState(): SessionState;
  /** Svelte-store contract: `fn` gets the state now and on every change. */
  subscribe(fn: (state: SessionState) => void): () => void;
  on(fn: (event: AuthEvent) => void): () => void;
  /** Closes the tab channel and aborts pending requests; later calls and refreshes reject with `SessionEndedError('disposed')`. */
  dispose(): void;
}

const REJECTED: RefreshOutcome = { kind: 'rejected' };
/** A refresh rejected by the server ends the era its own waiters belong to: for them that is an outcome, not an error. */
const asOutcome = (error: unknown): RefreshOutcome => {
  if (isSessionEndedError(error) && error.reason === 'rejected') return REJECTED;
  throw error;
};

export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const config = normalizeOptions(options);
  const { now, leewayMs } = config;
  const session = createSession();
  const { refreshUrl, logoutUrl, authenticated } = createOrigins(config);

  let token: Token | undefined;
  /** When the last session ended: a late message from another tab must not bring back a token from before. */
  let endedAt = -Infinity;
  /**
   * One controller per pending request or wait, all aborted when the session ends. (One shared
   * signal would collect a listener per request, which Node reports as a leak past ten.)
   */
  const pending = new Set<AbortController>();
  /**
   * Counts eras: each session end and each login starts one. A refresh answer or a 401 from an
   * older era is not acted on, so a logout or a login cannot be undone by what was under way.
   */
  let epoch = 0;
  let inflight: Promise<RefreshOutcome> | undefined;
  const onAdopt = new Set<(token: Token) => void>();

  const enlist = () => {
    const controller = new AbortController();
    pending.add(controller);
    return controller;
  };
  const usable = (t: Token | undefined): t is Token => !!t && !isStale(t, now(), leewayMs);

  function adopt(next: Token, force: boolean): void {
    if (!force && (token ? !isNewer(next, token) : next.obtainedAt <= endedAt)) return;
    const starting = session.get().status !== 'authenticated';
    token = next;
    session.set({ status: 'authenticated', accessToken: next.accessToken, expiresAt: next.expiresAt });
    if (starting) session.emit({ type: 'session:start' });
    for (const fn of onAdopt) fn(next);
  }

  function endSession(reason: SessionEndReason, broadcast: boolean): void {
    const wasAuthenticated = session.get().status === 'authenticated';
    endedAt = now();
    token = undefined;
    inflight = undefined;
    epoch++;
    // Without a session (a cookie refused at start-up) the waiting requests just go out without a token.
    if (wasAuthenticated || reason === 'logout') {
      for (const controller of pending) controller.abort(new SessionEndedError(reason));
      pending.clear();
    }
    session.set({ status: 'anonymous' });
    if (wasAuthenticated) session.emit({ type: 'session:end', reason });
    if (broadcast) tabs.end();
  }

  const tabs = createTabs(config.channel, config.peerTimeoutMs, {
    current: () => token,
    offer: (t) => adopt(t, false),
    end: () => session.get().status !== 'anonymous' && endSession('remote', false),
    message: (kind) => session.emit({ type: 'tab:message', kind }),
  });

  /** One refresh for every caller until it settles (single-flight), and one for every tab (`tabs`). */
  function refreshOnce(reason: RefreshReason, replacing = token) {
    if (!inflight) {
      const run = runRefresh(reason, replacing);
      inflight = run;
      void run.finally(() => inflight === run && (inflight = undefined));
    }
    return inflight;
  }

  async function runRefresh(reason: RefreshReason, replacing: Token | undefined) {
    session.emit({ type: 'refresh:start', reason });
    const startEpoch = epoch;
    const waiting = new AbortController();
    // Another tab's token stands in for ours when it is newer than the one being replaced and fresh.
    const replaces = (t: Token | undefined): t is Token => usable(t) && isNewer(t, replacing);
    let offered!: (t: Token) => void;
    const fromTab = new Promise<RefreshOutcome>((resolve) => {
      offered = (t) => {
        if (!replaces(t)) return;
        waiting.abort(); // leave the lock queue: nothing left to do there
        resolve({ kind: 'ok', token: t, source: 'tab' });
      };
    });
    onAdopt.add(offered);
    // The era changed meanwhile (a logout, a login, a refusal in another tab): this refresh no
    // longer speaks for the session; the current token, if any, does.
    const superseded = (): RefreshOutcome => (usable(token) ? { kind: 'ok', token, source: 'tab' } : REJECTED);
    const ours = tabs.exclusive(async (queued): Promise<RefreshOutcome> => {
      // A tab that refreshed just before we got the lock may still have its message in flight:
      // ask the others (their answers come after their announcements); after queueing behind one,
      // give its announcement a little longer.
      await tabs.ask(false);
      if (queued && !replaces(token) && epoch === startEpoch) await Promise.race([fromTab, sleep(config.peerTimeoutMs * 5)]);
      onAdopt.delete(offered); // from here on this tab decides, and its own token is no offer
      if (epoch !== startEpoch) return superseded();
      if (replaces(token)) return { kind: 'ok', token, source: 'tab' };
      const result = await callRefresh(config, refreshUrl);
      if (epoch !== startEpoch) return superseded();
      if (result.kind === 'ok') {
        adopt(result.token, true);
        tabs.token(result.token); // before the lock is released, so the next holder can hear of it
      } else if (result.kind === 'rejected') endSession('rejected', true);
      return result;
    }, waiting.signal);
    const outcome = await Promise.race([
      fromTab,
      ours.then(
        (result) => result ?? fromTab,
        // Only the lock manager can throw here (e.g. a sandboxed, opaque-origin page).
        (cause: unknown): RefreshOutcome => ({ kind: 'failed', error: new RefreshError('Refresh failed: could not coordinate with other tabs', { cause }) }),
      ),
    ]).finally(() => onAdopt.delete(offered));
    if (epoch === startEpoch && outcome.kind === 'ok') session.emit({ type: 'refresh:success', source: outcome.source, expiresAt: outcome.token.expiresAt });
    if (epoch === startEpoch && outcome.kind === 'failed') session.emit({ type: 'refresh:error', error: outcome.error });
    return outcome;
  }

  let started = false;
  const ready: Promise<SessionState> = (async () => {
    await tabs.ask(true);
    if (!token) {
      const outcome = await refreshOnce('startup');
      // The cookie was refused at start-up: not a session that ended, just none.
      if (outcome.kind === 'rejected') session.set({ status: 'anonymous' });
    }
    started = true;
    return session.get();
  })();

  /** The token to send: waits for start-up, refreshes first when it is stale (proactive). */
  async function tokenFor(signal: AbortSignal): Promise<Token | undefined> {
    if (!started) await within(ready, signal);
    if (session.get().status === 'anonymous') return undefined;
    if (usable(token)) return token;
    const current = token;
    // If the refresh is rejected the session ends and `signal` aborts: the request ends with SessionEndedError.
    const outcome = await within(refreshOnce(current ? 'proactive' : 'startup'), signal);
    if (outcome.kind === 'ok') return outcome.token;
    if (outcome.kind === 'rejected') return undefined;
    // The refresh failed but the token has not expired yet: better to use it than to fail the request.
    if (current && !isExpired(current, now())) return current;
    throw outcome.error;
  }

  /** The token to replay with after `sent` was refused (reactive), or undefined to return the 401 as is. */
  async function replacementFor(sent: Token, signal: AbortSignal): Promise<Token | undefined> {
    // A late 401 for a request sent before the last refresh: the current token answers it.
    if (usable(token) && isNewer(token, sent)) return token;
    const outcome = await within(refreshOnce('reactive', sent), signal).catch(asOutcome);
    if (outcome.kind === 'ok') return outcome.token;
    if (outcome.kind === 'rejected') return undefined;
    throw outcome.error;
  }

  /** After dispose() the instance has no channel and no session to speak for: calls fail loudly. */
  let disposed = false;
  const authFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (disposed) throw new SessionEndedError('disposed');
    const url = authenticated(requestUrl(input));
    const request = url && prepare(input, init, url, config);
    if (!request) return config.fetch(input, init);
    const controller = enlist();
    const { signal } = controller;
    // The caller's abort must also end our waits (start-up, a refresh), not only the fetch itself.
    const unfollow = follow(controller, request.signal);
    try {
      const sent = await tokenFor(signal);
      const era = epoch;
      const response = await request.send(sent?.accessToken, signal);
      // Not ours to answer: a 401 from an older era (the session ended, or a login began, since it
      // was sent), or from another origin a trusted one redirected to.
      const foreign = epoch !== era || (response.redirected && !authenticated(response.url));
      if (!sent || foreign || !config.shouldRefresh(response)) return response;
      if (!request.replayable) {
        // Cannot be sent again, but the next request should find a fresh token.
        void refreshOnce('reactive', sent);
        return response;
      }
      const next = await replacementFor(sent, signal);
      // Never replayed into another era: the session ended during the refresh (and maybe a login followed).
      if (!next || epoch !== era) return response;
      void response.body?.cancel().catch(() => {});
      session.emit({ type: 'replay', method: request.method, url: request.url.href });
      return await request.send(next.accessToken, signal);
    } finally {
      pending.delete(controller);
      unfollow();
    }
  };

  return Object.assign(authFetch, {
    ready,
    getState: session.get,
    subscribe: session.subscribe,
    on: session.on,
    setTokens(tokens: { accessToken: string; expiresIn?: number }) {
      const { accessToken, expiresIn } = tokens ?? {};
      // The message never quotes the token: error reports end up in logs.
      if (!isBearerToken(accessToken)) {
        const got = typeof accessToken === 'string' ? `a string of ${accessToken.length} characters` : String(accessToken);
        throw new TypeError(`\`accessToken\` must be a bearer token (RFC 6750 b64token), got ${got}`);
      }
      if (!isExpiresIn(expiresIn)) {
        throw new TypeError(`\`expiresIn\` must be a finite number of seconds > 0, got ${String(expiresIn)}`);
      }
      // A login (no session yet) starts an era: what was under way before it is not acted on. With
      // a session, this is a new token for it (a re-authentication), and its 401s replay with it;
      // to switch users, logout() first.
      if (session.get().status !== 'authenticated') epoch++;
      const next = toToken({ accessToken, expiresIn, sentAt: -Infinity, receivedAt: now() });
      adopt(next, true);
      tabs.token(next);
    },
    async refresh() {
      if (disposed) throw new SessionEndedError('disposed');
      const controller = enlist();
      const outcome = await within(refreshOnce('manual'), controller.signal).finally(() => pending.delete(controller));
      if (outcome.kind === 'ok') return outcome.token.accessToken;
      if (outcome.kind === 'rejected') throw new SessionEndedError('rejected');
      throw outcome.error;
    },
    async logout() {
      endSession('logout', true);
      const url = logoutUrl ?? config.logout;
      if (!url) return;
      let response: Response;
      try {
        response = await config.fetch(url, { method: 'POST', credentials: config.credentials });
      } catch (cause) {
        throw new LogoutError(`Logout could not reach ${String(url)}`, { cause });
      }
      if (!response.ok) throw new LogoutError(`Logout failed: ${response.status} from ${String(url)}`, { status: response.status });
    },
    dispose() {
      disposed = true;
      tabs.close();
      for (const controller of pending) controller.abort(new SessionEndedError('disposed'));
      session.clear();
      onAdopt.clear();
    },
  });
}

