/** Composition: the callable `authFetch` and its members, over the session, refresh, pipeline and tab modules. */
import { openChannel } from './channel.js';
import { createClock } from './clock.js';
import { LogoutError, SessionEndedError } from './errors.js';
import { createLock } from './lock.js';
import { createMisconfigurationReport } from './misconfiguration.js';
import { createObservable, type AuthEvent, type SessionState } from './observable.js';
import { normalizeOptions, type AuthFetchOptions } from './options.js';
import { createOrigins } from './origins.js';
import { createPipeline } from './pipeline.js';
import { callRefresh } from './refresh-call.js';
import { createRefresher } from './refresh.js';
import { createSession } from './session.js';
import type { Token } from './token.js';
import { createStartup } from './startup.js';
import { joinTabs } from './tabs.js';
import { callLogin, checkedTokens, type Tokens } from './login.js';
import { within } from './wait.js';
import { onReturn } from './visibility.js';

export interface AuthFetch {
  /** `fetch`, with the access token attached to trusted origins, refreshed and replayed as needed. */
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Starts a session with the token a login returned (the refresh token is the server's cookie). */
  setTokens(tokens: Tokens): void;
  /**
   * POSTs a login (`init` as for fetch: body, headers…) with the configured `credentials`, checks the
   * answer, starts the session in every tab and resolves to the parsed body. Rejects with `LoginError`.
   */
  login(url: string | URL, init?: RequestInit): Promise<unknown>;
  /** Forces a refresh (joining one already running, here or in another tab); resolves to the new access token. */
  refresh(): Promise<string>;
  /** Ends the session in every tab at once, aborts pending requests, then tells the server. */
  logout(): Promise<void>;
  /** Settles with the state once start-up knows it (from another tab, or one refresh). Never rejects. Outside a page, reading it starts start-up. */
  readonly ready: Promise<SessionState>;
  getState(): SessionState;
  /** Svelte-store contract: `fn` gets the state now and on every change. */
  subscribe(fn: (state: SessionState) => void): () => void;
  on(fn: (event: AuthEvent) => void): () => void;
  /** Closes the tab channel, releases its locks and listeners, aborts pending requests; later calls and refreshes reject with `SessionEndedError('disposed')`. */
  dispose(): void;
}

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
  const channel = openChannel(config.channel ?? (globalThis.document ? `auth-fetch:${app}` : false), scope);
  const lock = createLock(channel, `auth-fetch ${scope}`, refreshTimeoutMs + 2 * peerTimeoutMs, peerTimeoutMs);
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

  const startSession = (token: Token) => {
    session.login(token);
    misconfiguration.loggedIn();
    channel?.post({ t: 'login', token });
  };

  let disposed = false;
  const authFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    disposed ? Promise.reject(new SessionEndedError('disposed')) : send(input, init);

  return Object.defineProperties(authFetch, {
    ready: { get: startup.ready, enumerable: true },
    getState: { value: observable.get },
    subscribe: { value: observable.subscribe },
    on: { value: observable.on },
    setTokens: {
      value: (tokens: Tokens) => startSession(checkedTokens(tokens, clock)),
    },
    login: {
      async value(url: string | URL, init?: RequestInit) {
        if (disposed) throw new SessionEndedError('disposed');
        const { body, token } = await callLogin(config, clock, url, init);
        startSession(token);
        return body;
      },
    },
    refresh: {
      async value() {
        if (disposed) throw new SessionEndedError('disposed');
        const controller = session.enlist();
        const outcome = await within(refresher.refresh('manual'), controller.signal).finally(() => session.release(controller));
        if (outcome.kind === 'ok') return outcome.token.accessToken;
        if (outcome.kind === 'rejected') throw new SessionEndedError('rejected');
        throw outcome.error;
      },
    },
    logout: {
      async value() {
        session.end('logout');
        channel?.post({ t: 'end' });
        const url = origins.logoutUrl ?? config.logout;
        if (!url) return;
        let response: Response;
        try {
          // Bounded like a refresh: browsers give fetch no timeout of their own.
          response = await config.fetch(url, { method: 'POST', credentials: config.credentials, signal: AbortSignal.timeout(refreshTimeoutMs) });
        } catch (cause) {
          throw new LogoutError(`Logout could not reach ${String(url)}`, { cause });
        }
        if (!response.ok) throw new LogoutError(`Logout failed: ${response.status} from ${String(url)}`, { status: response.status });
      },
    },
    dispose: {
      value() {
        disposed = true;
        observable.clear(); // nothing is reported after dispose()
        session.abortPending('disposed');
        refresher.dispose();
        stopWatching();
        leaveTabs();
        channel?.close();
        lock.close();
      },
    },
  }) as AuthFetch;
}
