/**
 * The tabs of one app as one session: a BroadcastChannel carries tokens, queries and logouts; a Web
 * Lock (or, without one, a claim protocol on the channel) lets one tab at a time refresh.
 */
import type { Token } from './token.js';
import { sleep } from './wait.js';

type Message =
  | { t: 'query'; from: string; id: string }
  | { t: 'token'; from: string; id?: string; token?: Token }
  | { t: 'end'; from: string }
  | { t: 'claim'; from: string; at: number }
  | { t: 'bye'; from: string };

export interface TabsHooks {
  current(): Token | undefined;
  offer(token: Token): void;
  end(): void;
  message(kind: string): void;
}

export interface Tabs {
  /**
   * Runs `task` while no other tab runs one; `undefined` when `signal` aborted before it started.
   * `task` learns whether it had to queue behind another tab, which is then about to announce a token.
   */
  exclusive<T>(task: (queued: boolean) => Promise<T>, signal: AbortSignal): Promise<T | undefined>;
  /** Asks the other tabs for their token; they arrive through `offer`. `discover` waits for unknown peers too. */
  ask(discover: boolean): Promise<void>;
  token(token: Token): void;
  end(): void;
  close(): void;
}

const isToken = (v: unknown): v is Token => {
  const t = v as Token;
  const optNum = (x: unknown) => x === undefined || Number.isFinite(x); // false for non-numbers: it does not coerce
  return typeof v === 'object' && v !== null && typeof t.accessToken === 'string' && t.accessToken !== '' &&
    optNum(t.expiresAt) && optNum(t.lifetime) && optNum(t.exp) && typeof t.obtainedAt === 'number';
};

/** Anything else on the channel (other libraries, old versions, attackers with XSS) is ignored. */
function parse(data: unknown): Message | undefined {
  const m = data as Message;
  if (typeof data !== 'object' || data === null || typeof m.from !== 'string') return undefined;
  if (m.t === 'query') return typeof m.id === 'string' ? m : undefined;
  if (m.t === 'token') return m.token === undefined || isToken(m.token) ? m : undefined;
  if (m.t === 'claim') return typeof m.at === 'number' ? m : undefined;
  return m.t === 'end' || m.t === 'bye' ? m : undefined;
}

const randomId = () => Math.random().toString(36).slice(2) + Date.now().toString(36);

interface LockManager {
  request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, task: (lock: unknown) => Promise<T>): Promise<T>;
}

/** A single tab: nothing to coordinate with. */
const alone: Tabs = {
  exclusive: (task, signal) => (signal.aborted ? Promise.resolve(undefined) : task(false)),
  ask: () => Promise.resolve(),
  token() {},
  end() {},
  close() {},
};

export function createTabs(name: string | false, peerTimeoutMs: number, hooks: TabsHooks): Tabs {
  if (name === false || typeof BroadcastChannel === 'undefined') return alone;
  const channel = new BroadcastChannel(name);
  // Node (SSR, tests) keeps a process alive for an open channel; a browser tab has no such notion.
  (channel as { unref?: () => void }).unref?.();
  const self = randomId();
  /** Known peers → how many queries in a row they left unanswered. */
  const peers = new Map<string, number>();
  /** Open claims of the lock-less protocol: peer id → when it claimed. */
  const claims = new Map<string, number>();
  const pending = new Map<string, Set<string>>();
  let closed = false;
  const post = (message: Message) => closed || channel.postMessage(message);

  channel.onmessage = (event: MessageEvent) => {
    const m = parse(event.data);
    if (!m || m.from === self) return;
    hooks.message(m.t);
    if (m.t === 'bye') {
      peers.delete(m.from);
      claims.delete(m.from);
      return;
    }
    peers.set(m.from, 0);
    if (m.t === 'query') post({ t: 'token', from: self, id: m.id, ...tokenField(hooks.current()) });
    else if (m.t === 'claim') claims.set(m.from, m.at);
    else {
      // An answer to a query says nothing about the sender's claim; its broadcasts end the claim.
      if (!('id' in m && m.id !== undefined)) claims.delete(m.from);
      if (m.t === 'end') hooks.end();
      else {
        if (m.token) hooks.offer(m.token);
        if (m.id) pending.get(m.id)?.add(m.from);
      }
    }
  };

  async function ask(discover: boolean): Promise<void> {
    if (!discover && peers.size === 0) return;
    const id = randomId();
    const answered = new Set<string>();
    pending.set(id, answered);
    post({ t: 'query', from: self, id });
    const deadline = Date.now() + peerTimeoutMs;
    // Answers come within a few ms; the deadline only matters for tabs that are gone or frozen.
    // Discovering (a new tab), the first answer will do; otherwise every known peer should answer.
    const waiting = () => (discover ? answered.size === 0 : [...peers.keys()].some((p) => !answered.has(p)));
    while (Date.now() < deadline && waiting()) await sleep(5);
    pending.delete(id);
    // A busy tab can miss a deadline; a closed or crashed one misses every time: forget it after three.
    for (const [p, missed] of peers) if (!answered.has(p) && !discover) missed >= 2 ? peers.delete(p) : peers.set(p, missed + 1);
  }

  /**
   * Without Web Locks: announce a claim; the oldest claim (then the smallest id) wins, the others
   * wait for its result. A busy tab may deliver its claim late, so before acting the winner asks
   * every known peer: a channel keeps each sender's order, so a peer's answer comes after its claim.
   */
  async function claim<T>(task: (queued: boolean) => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
    const at = Date.now();
    post({ t: 'claim', from: self, at });
    await sleep(peerTimeoutMs / 2);
    const rival = () => [...claims].some(([p, t]) => t < at || (t === at && p < self));
    const giveUp = Date.now() + peerTimeoutMs * 50;
    let queued = false;
    for (;;) {
      queued ||= rival();
      while (rival() && !signal.aborted && Date.now() < giveUp) await sleep(10);
      if (signal.aborted) return post({ t: 'token', from: self }), undefined;
      await ask(false);
      if (!rival() || Date.now() >= giveUp) break;
    }
    try {
      return await task(queued);
    } finally {
      post({ t: 'token', from: self, ...tokenField(hooks.current()) });
    }
  }

  const onHide = () => post({ t: 'bye', from: self });
  globalThis.addEventListener?.('pagehide', onHide);

  return {
    exclusive(task, signal) {
      const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
      if (!locks) return claim(task, signal);
      const lock = `${name}:refresh`;
      // First try without queueing, to learn whether another tab is refreshing right now.
      const queued = () => locks.request(lock, { signal }, () => task(true));
      return locks.request(lock, { ifAvailable: true }, (held) => (held ? task(false) : queued())).catch((error: unknown) => {
        if (signal.aborted) return undefined;
        throw error;
      });
    },
    ask,
    token: (token) => post({ t: 'token', from: self, token }),
    end: () => post({ t: 'end', from: self }),
    close() {
      onHide();
      closed = true;
      globalThis.removeEventListener?.('pagehide', onHide);
      channel.close();
    },
  };
}

const tokenField = (token: Token | undefined) => (token ? { token } : {});
