/** Composition: the callable `authFetch` and its members, over the session, refresh, pipeline and tab modules. */
import { callLogin, callLogout, checkedTokens, type Tokens } from './auth-calls.js';
import { openChannel } from './channel.js';
import { createClock } from './clock.js';
import { SessionEndedError } from './errors.js';
import { createLock } from './lock.js';
import { createMisconfigurationReport } from './misconfiguration.js';
import { createObservable } from './observable.js';
import { normalizeOptions, type AuthFetchOptions } from './options.js';
import { createOrigins } from './origins.js';
import { createPipeline } from './pipeline.js';
import { callRefresh } from './refresh-call.js';
import { createRefresher } from './refresh.js';
import { createSession } from './session.js';
import { createStartup } from './startup.js';
import { joinTabs } from './tabs.js';
import type { Token } from './token.js';
import type { AuthFetch } from './types.js';
import { onReturn } from './visibility.js';
import { within } from './wait.js';

export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const config = normalizeOptions(options);
  const { peerTimeoutMs, refreshTimeoutMs } = config;
  const clock = createClock(config.now);
  const observable = createObservable();
  const session = createSession(clock, config.leewayMs, observable);
  const origins = createOrigins(config);
  // Tabs of one app find each other by name; they take tokens only from the same refresh URL and trusted origins.
  const app = origins.refreshUrl?.href ?? 'refresh function';
  const scope = [app, ...origins.trusted].join(' ');
  const channelName = config.channel ?? (globalThis.document ? `auth-fetch:${app}` : false);
  const channel = openChannel(channelName, scope);
  config.dpop?.bind?.(`auth-fetch:${scope}`);
  // Locks go by channel and scope: the tabs a tab can count are the ones that can answer it.
  const lock = createLock(channel, `${String(channelName)} ${scope}`, refreshTimeoutMs + 2 * peerTimeoutMs, peerTimeoutMs);
  const misconfiguration = createMisconfigurationReport(origins.refreshUrl);
  const call = async (closing: AbortSignal) => {
    const outcome = await callRefresh(config, origins.refreshUrl, clock, closing);
    misconfiguration.look(outcome);
    return outcome;
  };
  const refresher = createRefresher({ config, session, observable, channel, lock, call });
  const startup = createStartup({ session, observable, channel, lock, refresher, peerTimeoutMs, sessionHint: config.sessionHint });
  const send = createPipeline({ config, clock, session, observable, origins, refresher, ready: startup.ready, startupSettled: startup.settled });
  const leaveTabs = channel ? joinTabs(channel, session, refresher, observable) : () => {};
  // Back to the tab (visible again, online again) with a missing or stale token: refresh now, not at the next click.
  const stopWatching = onReturn(() => {
    const { status } = observable.get();
    if (startup.settled() && status !== 'anonymous' && !session.isUsable(session.token())) void refresher.refresh('proactive');
  });
  // In a page the session is looked up at once; elsewhere (SSR, Node, workers) nothing is sent until asked.
  if (globalThis.document) void startup.ready();

  let disposed = false;
  const alive = () => {
    if (disposed) throw new SessionEndedError('disposed');
  };
  const startSession = (token: Token) => {
    session.login(token);
    misconfiguration.loggedIn();
    channel?.post({ t: 'login', token });
  };

  const members = {
    getState: observable.get,
    subscribe: observable.subscribe,
    on: observable.on,
    setTokens: (tokens: Tokens) => startSession(checkedTokens(tokens, clock)),
    async login(url: string | URL, init?: RequestInit) {
      alive();
      const { body, token } = await callLogin(config, clock, origins.resolve(url) ?? url, init);
      startSession(token);
      return body;
    },
    async refresh() {
      alive();
      const controller = session.enlist();
      const outcome = await within(refresher.refresh('manual'), controller.signal).finally(() => session.release(controller));
      if (outcome.kind === 'ok') return outcome.token.accessToken;
      if (outcome.kind === 'rejected') throw new SessionEndedError('rejected');
      throw outcome.error;
    },
    async logout() {
      const token = session.token();
      session.end('logout');
      channel?.post({ t: 'end' });
      const url = origins.logoutUrl ?? config.logout;
      // The token goes only where it may (a trusted origin), so that the server can deny it at once.
      const trusted = origins.logoutUrl && origins.trusted.includes(origins.logoutUrl.origin);
      try {
        if (url) await callLogout(config, url, trusted ? token : undefined);
      } finally {
        // A new key for the next session: sessions cannot be linked by it.
        await config.dpop?.reset?.();
      }
    },
    dispose() {
      disposed = true;
      observable.clear(); // nothing is reported after dispose()
      session.abortPending('disposed');
      refresher.dispose();
      stopWatching();
      leaveTabs();
      channel?.close();
      lock.close();
    },
  };
  const authFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    alive();
    return send(input, init);
  };
  return Object.defineProperty(Object.assign(authFetch, members), 'ready', { get: startup.ready, enumerable: true }) as AuthFetch;
}
