/** Composition: the callable `authFetch` and its members, over the session, refresh, replay and tabs modules. */
import { LogoutError, RefreshError, SessionEndedError, isSessionEndedError, type SessionEndReason } from './errors.js';
import { normalizeOptions, type AuthFetchOptions } from './options.js';
import { createOrigins } from './origins.js';
import { callRefresh, type RefreshOutcome } from './refresh.js';
import { prepare, requestUrl } from './replay.js';
import { createSession, type AuthEvent, type RefreshReason, type SessionState } from './session.js';
import { createTabs } from './tabs.js';
import { isExpired, isNewer, isStale, toToken, type Token } from './token.js';
import { sleep, within } from './wait.js';

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
  /** Closes the tab channel and aborts pending requests. */
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
  /** The last token of an ended session: a late message from another tab must not bring it back. */
  let endedWith: Token | undefined;
  /**
   * One controller per pending request or wait, all aborted when the session ends. (One shared
   * signal would collect a listener per request, which Node reports as a leak past ten.)
   */
  const pending = new Set<AbortController>();
  /** Counts session ends, so that a refresh answer arriving after a logout is dropped. */
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
    if (!force && !isNewer(next, token ?? endedWith)) return;
    const starting = session.get().status !== 'authenticated';
    token = next;
    endedWith = undefined;
    session.set({ status: 'authenticated', accessToken: next.accessToken, expiresAt: next.expiresAt });
    if (starting) session.emit({ type: 'session:start' });
    for (const fn of onAdopt) fn(next);
  }

  function endSession(reason: SessionEndReason, broadcast: boolean): void {
    const wasAuthenticated = session.get().status === 'authenticated';
    endedWith = token ?? endedWith;
    token = undefined;
    inflight = undefined;
    epoch++;
    for (const controller of pending) controller.abort(new SessionEndedError(reason));
    pending.clear();
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
    const ours = tabs.exclusive(async (queued): Promise<RefreshOutcome> => {
      // A tab that refreshed just before we got the lock may still have its message in flight:
      // ask the others (their answers come after their announcements); after queueing behind one,
      // give its announcement a little longer.
      await tabs.ask(false);
      if (queued && !replaces(token) && epoch === startEpoch) await Promise.race([fromTab, sleep(config.peerTimeoutMs * 5)]);
      onAdopt.delete(offered); // from here on this tab decides, and its own token is no offer
      // The session ended meanwhile (a logout, or another tab's refresh was refused).
      if (epoch !== startEpoch) return REJECTED;
      if (replaces(token)) return { kind: 'ok', token, source: 'tab' };
      const result = await callRefresh(config, refreshUrl);
      if (epoch !== startEpoch) return result;
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
    if (outcome.kind === 'ok') session.emit({ type: 'refresh:success', source: outcome.source, expiresAt: outcome.token.expiresAt });
    if (outcome.kind === 'failed') session.emit({ type: 'refresh:error', error: outcome.error });
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

  const authFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = authenticated(requestUrl(input));
    const request = url && prepare(input, init, url, config);
    if (!request) return config.fetch(input, init);
    const controller = enlist();
    const { signal } = controller;
    // The caller's abort must also end our waits (start-up, a refresh), not only the fetch itself.
    const follow = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) follow();
    request.signal?.addEventListener('abort', follow, { once: true });
    try {
      const sent = await tokenFor(signal);
      const response = await request.send(sent?.accessToken, signal);
      if (!sent || !config.shouldRefresh(response)) return response;
      if (!request.replayable) {
        // Cannot be sent again, but the next request should find a fresh token.
        void refreshOnce('reactive', sent);
        return response;
      }
      const next = await replacementFor(sent, signal);
      if (!next) return response;
      void response.body?.cancel().catch(() => {});
      session.emit({ type: 'replay', method: request.method, url: request.url.href });
      return await request.send(next.accessToken, signal);
    } finally {
      pending.delete(controller);
      request.signal?.removeEventListener('abort', follow);
    }
  };

  return Object.assign(authFetch, {
    ready,
    getState: session.get,
    subscribe: session.subscribe,
    on: session.on,
    setTokens({ accessToken, expiresIn }: { accessToken: string; expiresIn?: number }) {
      if (typeof accessToken !== 'string' || accessToken === '') {
        throw new TypeError(`\`accessToken\` must be a non-empty string, got ${String(accessToken)}`);
      }
      if (expiresIn !== undefined && !(typeof expiresIn === 'number' && expiresIn > 0)) {
        throw new TypeError(`\`expiresIn\` must be a number of seconds > 0, got ${String(expiresIn)}`);
      }
      const next = toToken({ accessToken, expiresIn, sentAt: -Infinity, receivedAt: now() });
      adopt(next, true);
      tabs.token(next);
    },
    async refresh() {
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
      tabs.close();
      for (const controller of pending) controller.abort(new SessionEndedError('disposed'));
      session.clear();
      onAdopt.clear();
    },
  });
}

