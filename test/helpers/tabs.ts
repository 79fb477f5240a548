/**
 * "Tabs" for the integration tests: instances of one app on a channel of the test's own (Node's
 * BroadcastChannel delivers between instances of one process), a fake Web Locks manager when asked,
 * and a raw poster that speaks the tab protocol like a peer (or an intruder) would.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createAuthFetch, type AuthFetch, type AuthFetchOptions } from '../../src/index.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { fakeLockManager, installLocks } from './fake-locks.js';
import { readExp } from '../../harness/jwt.js';

type FakeLocks = ReturnType<typeof fakeLockManager>;

export interface RawToken {
  accessToken: unknown;
  expiresAt?: unknown;
  lifetime?: unknown;
  exp?: unknown;
  obtainedAt: unknown;
}

/** A token as a peer would post it, `exp` in server seconds (real time: these tests use the real clock). */
export function rawToken(accessToken: string, obtainedAt = Date.now()): RawToken {
  const exp = readExp(accessToken);
  return { accessToken, exp, expiresAt: exp === undefined ? undefined : exp * 1000, obtainedAt };
}

export const tokenOf = (t: AuthFetch): string | undefined => (t.getState() as { accessToken?: string }).accessToken;

/** A loopback API for the file, reset after each test, and tabs on a fresh channel per test. */
export function useTabs() {
  let api!: ApiServer;
  let name = '';
  let count = 0;
  const made: AuthFetch[] = [];
  const raw: BroadcastChannel[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let peers = 0;
  let uninstall: (() => void) | undefined;
  beforeAll(async () => {
    api = await startApiServer();
  });
  afterAll(() => api.close());
  afterEach(() => {
    made.splice(0).forEach((t) => t.dispose());
    timers.forEach(clearTimeout);
    timers.clear();
    raw.splice(0).forEach((c) => c.close());
    uninstall?.();
    uninstall = undefined;
    name = '';
    Object.assign(api, { mode: 'ok', ttl: 300, refreshDelayMs: 0, refreshCalls: 0, received: [], refuseAll: false });
    api.revoked.clear();
  });
  const channelName = () => (name ||= `auth-fetch-test-${process.pid}-${++count}-${Math.random().toString(36).slice(2)}`);
  const options = (extra: Partial<AuthFetchOptions>): AuthFetchOptions => ({
    refresh: `${api.url}/auth/refresh`,
    trustedOrigins: [api.url],
    channel: channelName(),
    ...extra,
  });
  /** The scope string the tabs of `extra`'s config sign their messages with (see src/tabs.ts). */
  const scopeOf = (extra: Partial<AuthFetchOptions> = {}): string => {
    const { refresh, trustedOrigins = [] } = options(extra);
    return [new URL(String(refresh)).href, ...trustedOrigins].join(' ');
  };
  return {
    api: () => api,
    scopeOf,
    /** The name of the refresh lock the test's tabs take (see src/create-auth-fetch.ts). */
    refreshLockName: (extra: Partial<AuthFetchOptions> = {}) => `${channelName()} ${scopeOf(extra)}:refresh`,
    /** Gives the test's tabs a Web Locks manager (`navigator.locks`); returns it. */
    withLocks() {
      const locks = fakeLockManager();
      uninstall = installLocks(locks);
      return locks;
    },
    /** A new instance on the test's channel. */
    tab(extra: Partial<AuthFetchOptions> = {}): AuthFetch {
      const t = createAuthFetch(options(extra));
      made.push(t);
      return t;
    },
    /** Posts a raw message on the test's channel, as peer `from` of the default scope unless told otherwise. */
    post(message: Record<string, unknown>, scope?: string): void {
      if (!raw.length) raw.push(new BroadcastChannel(channelName()));
      raw[0]!.postMessage({ from: 'peer', scope: scope ?? scopeOf(), ...message });
    },
    /**
     * A peer that speaks the protocol by hand: it answers every query after `delayMs`, with `token`
     * when given (else without one), and with `locks` it holds a presence lock there, so that
     * instances count it among the live tabs (the lock name as src/tabs.ts makes it).
     */
    peer({ token, delayMs = 0, locks }: { token?: RawToken; delayMs?: number; locks?: FakeLocks } = {}): void {
      const from = `scripted-peer-${++peers}`;
      const channel = new BroadcastChannel(channelName());
      raw.push(channel);
      channel.onmessage = (event: MessageEvent) => {
        const query = event.data as { t?: unknown; id?: unknown };
        if (query.t !== 'query') return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          channel.postMessage({ t: 'answer', id: query.id, from, scope: scopeOf(), ...(token ? { token } : {}) });
        }, delayMs);
        timers.add(timer);
      };
      // Held for the rest of the test (each test gets a new lock manager).
      void locks?.request(`${channelName()} ${scopeOf()}:tab:${from}`, {}, () => new Promise<void>(() => {}));
    },
    /** Every message posted on the test's channel from now on, as received. */
    listen(): unknown[] {
      const seen: unknown[] = [];
      const listener = new BroadcastChannel(channelName());
      listener.onmessage = (event: MessageEvent) => seen.push(event.data);
      raw.push(listener);
      return seen;
    },
  };
}
