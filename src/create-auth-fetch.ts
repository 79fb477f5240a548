/** Composition: the callable `authFetch` and its members, over the session, refresh, pipeline and tab modules. */
import { callLogin, callLogout, type Tokens } from './auth-calls.js';
import { createClock, type Clock } from './clock.js';
import { SessionEndedError } from './errors.js';
import { createEmitter, mustBeFunction, type AuthEvent } from './events.js';
import { keepFresh } from './keep-fresh.js';
import { refreshLock } from './lock.js';
import { createMisconfigurationReport } from './misconfiguration.js';
import { normalizeOptions, type AuthFetchOptions, type Config } from './options.js';
import { createOrigins, type Origins } from './origins.js';
import { createPipeline } from './pipeline.js';
import { callRefresh } from './refresh-call.js';
import { createRefresher, type Refresher } from './refresh.js';
import { createSession, type Session } from './session.js';
import { createStartup, signedInMark, type Startup } from './startup.js';
import { openTabs, type Tabs } from './tabs.js';
import { parseTokenAnswer, type Token } from './token.js';
import type { AuthFetch } from './types.js';
import { onReturn } from './visibility.js';
import { until } from './wait.js';

/** `logout()`: the session ends in every tab at once, then the server is told. */
async function logoutEverywhere({ config, clock, origins, session, tabs }: { config: Config; clock: Clock; origins: Origins; session: Session; tabs: Tabs | undefined }): Promise<void> {
  const token = session.token();
  session.end('logout');
  tabs?.announce({ t: 'end' });
  // The token goes only where it may (a trusted origin), so that the server can deny it at once.
  const trusted = origins.logoutUrl && origins.trusted.includes(origins.logoutUrl.origin);
  const url = origins.logoutUrl ?? config.logout;
  try {
    if (url) await callLogout(config, clock, url, trusted ? token : undefined);
  } finally {
    await config.dpop?.reset?.(); // a new key: the next session cannot be linked to this one
  }
}

/** Back to the tab (visible again, online again) with a missing or stale token: refresh now, not at the next click. */
function refreshOnReturn(session: Session, refresher: Refresher, startup: Startup, closing: AbortSignal): void {
  onReturn((trigger) => {
    if (trigger === 'online') refresher.backOnline();
    const stale = session.getState().status !== 'anonymous' && !session.isUsable(session.token());
    if (startup.settled() && stale) void refresher.refresh('proactive');
  }, closing);
}

/**
 * Creates one instance per page (at module level, not in a component): a function with `fetch`'s
 * exact signature that attaches, refreshes and replays the access token, shared with the other tabs.
 * @example export const authFetch = createAuthFetch({ refresh: '/auth/refresh', logout: '/auth/logout' });
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const config = normalizeOptions(options);
  const closing = new AbortController(); // dispose()
  const events = createEmitter<AuthEvent>();
  const emit = events.emit;
  const clock = createClock(config.now, () => session.clockMoved());
  const session = createSession(clock, config.leewayMs, emit);
  const origins = createOrigins(config);
  // Tabs of one app find each other by name; they take tokens only from the same refresh URL and trusted origins.
  const app = origins.refreshUrl?.href ?? 'refresh function';
  const scope = [app, ...origins.trusted].join(' ');
  // What the tabs hear goes to the refresher, made below (messages arrive only once this returned).
  const listener = { adopt: (token: Token) => refresher.adopt(token), heardOutage: (until: number) => refresher.heardOutage(until) };
  const tabs = openTabs(config.channel ?? (globalThis.document ? `auth-fetch:${app}` : false), scope, session, listener, emit, closing.signal);
  // One key per app, whatever the channel: every instance with this refresh URL and these origins.
  config.dpop?.bind?.(`auth-fetch:${scope}`);
  const report = __DEV__ ? createMisconfigurationReport(origins.refreshUrl) : undefined;
  const call = async () => {
    const outcome = await callRefresh(config, origins.refreshUrl, clock, closing.signal);
    report?.look(outcome);
    return outcome;
  };
  const { peerTimeoutMs, refreshTimeoutMs } = config;
  const lock = refreshLock(tabs?.lockName);
  const refresher = createRefresher({ session, tabs, lock, emit, call, peerTimeoutMs, refreshTimeoutMs, closing: closing.signal });
  const mark = config.sessionHint ? signedInMark(`auth-fetch:signed-in ${scope}`, events) : undefined;
  const startup = createStartup(session, refresher, config.sessionHint, mark);
  const send = createPipeline({ config, clock, session, origins, refresher, emit, startup: startup.pending, closing: closing.signal });
  refreshOnReturn(session, refresher, startup, closing.signal);
  if (config.keepFresh) keepFresh(session, () => void refresher.refresh('proactive'), closing.signal);
  // In a page the session is looked up at once; elsewhere (SSR, Node, workers) nothing is sent until asked.
  if (globalThis.document) void startup.ready();

  const alive = () => closing.signal.throwIfAborted();
  const startSession = (token: Token) => {
    session.startWith(token);
    report?.loggedIn();
    tabs?.announce({ t: 'login', token });
  };
  const members = {
    getState: session.getState,
    subscribe: session.subscribe,
    on(fn: (event: AuthEvent) => void) {
      mustBeFunction(fn, 'on');
      return events.add(fn);
    },
    setTokens(tokens: Tokens) {
      alive();
      startSession(parseTokenAnswer(tokens, clock, -Infinity));
    },
    async login<T>(url: string | URL, init?: RequestInit): Promise<T> {
      alive();
      const { body, token } = await callLogin(config, clock, origins.resolve(url) ?? url, init);
      startSession(token);
      return body as T;
    },
    async refresh() {
      alive();
      const outcome = await until(refresher.refresh('manual'), session.signal(), closing.signal);
      if (outcome.kind === 'ok') return outcome.token.accessToken;
      if (outcome.kind === 'rejected') throw new SessionEndedError('rejected');
      throw outcome.error;
    },
    async logout() {
      alive();
      await logoutEverywhere({ config, clock, origins, session, tabs });
    },
    dispose() {
      events.clear(); // nothing is reported after dispose()
      session.clear();
      closing.abort(new SessionEndedError('disposed'));
    },
  };
  const authFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    alive();
    return send(input, init);
  };
  return Object.defineProperty(Object.assign(authFetch, members), 'ready', { get: startup.ready, enumerable: true }) as AuthFetch;
}
