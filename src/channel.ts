/**
 * The tab protocol: messages between the instances of one app over a BroadcastChannel. Each message
 * names its sender and its scope (the sender's refresh URL and trusted origins); anything that does
 * not parse, or comes from another scope (another app on the origin, another library, a script
 * injected into a page), is ignored.
 *
 * | `t`     | fields          | meaning                                                               |
 * |---------|-----------------|-----------------------------------------------------------------------|
 * | query   | id              | "Which token do you hold?" Every peer answers.                         |
 * | answer  | id, token?      | The reply to one query, with the sender's token if it holds one.      |
 * | token   | token           | Announcement: the sender's refresh brought a new token.               |
 * | login   | token           | The sender started a session (a login): every tab joins it.           |
 * | end     |                 | The session ended in the sender (logout, refresh token refused).      |
 * | outage  | until           | The sender's refresh failed: no tab tries again before `until`.       |
 * | claim   | at              | Lock-less protocol: the sender wants to refresh (claimed at `at`).    |
 * | release |                 | Lock-less protocol: the sender is done (its announcement came first). |
 * | bye     |                 | The sender is going away (page hidden for good, `dispose()`).         |
 *
 * A channel keeps each sender's order, so a peer's answer always arrives after the announcements it
 * made before it: asking is how a tab makes sure it has heard everything a peer said.
 */
import { isToken, type Token } from './token.js';

export type Message =
  | { t: 'query'; id: string }
  | { t: 'answer'; id: string; token?: Token }
  | { t: 'token'; token: Token }
  | { t: 'login'; token: Token }
  | { t: 'end' }
  | { t: 'outage'; until: number }
  | { t: 'claim'; at: number }
  | { t: 'release' }
  | { t: 'bye' };

/** A message as received: with its sender. */
export type Received = Message & { from: string };

export interface Channel {
  /** This instance's id on the channel. */
  readonly self: string;
  post(message: Message): void;
  /** Calls `fn` with every valid message from another instance of the same scope; returns the undo. */
  listen(fn: (message: Received) => void): () => void;
  /** Instances heard from lately (not gone, not silent at the last query). */
  knownPeers(): number;
  /**
   * Asks every peer for its token; resolves once `expected` peers answered, once an answer carries a
   * token `enough` accepts, or after `timeoutMs`. The tokens themselves reach the listeners.
   */
  ask(expected: number, enough: (token: Token) => boolean, timeoutMs: number): Promise<void>;
  close(): void;
}

const TYPES: Record<Message['t'], (m: Record<string, unknown>) => boolean> = {
  query: (m) => typeof m.id === 'string',
  answer: (m) => typeof m.id === 'string' && (m.token === undefined || isToken(m.token)),
  token: (m) => isToken(m.token),
  login: (m) => isToken(m.token),
  end: () => true,
  outage: (m) => Number.isFinite(m.until),
  claim: (m) => Number.isFinite(m.at),
  release: () => true,
  bye: () => true,
};

function parse(data: unknown, scope: string): Received | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m.scope !== scope || typeof m.from !== 'string' || typeof m.t !== 'string' || !Object.hasOwn(TYPES, m.t)) return undefined;
  return TYPES[m.t as Message['t']](m) ? (m as unknown as Received) : undefined;
}

export const randomId = () => Math.random().toString(36).slice(2) + Date.now().toString(36);

/** Opens the channel, or returns undefined where there is none (`channel: false`, no BroadcastChannel). */
export function openChannel(name: string | false, scope: string): Channel | undefined {
  if (name === false || typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(name);
  // Node (SSR, tests) keeps a process alive for an open channel; a browser tab has no such notion.
  (channel as { unref?: () => void }).unref?.();
  const self = randomId();
  const listeners = new Set<(message: Received) => void>();
  const peers = new Set<string>();
  /** Queries waiting for answers, ended at once by close(). */
  const asking = new Set<() => void>();
  let closed = false;

  channel.onmessage = (event: MessageEvent) => {
    const message = parse(event.data, scope);
    if (!message || message.from === self) return;
    if (message.t === 'bye') peers.delete(message.from);
    else peers.add(message.from);
    for (const fn of [...listeners]) fn(message);
  };

  // A tab going away says so, so that nobody waits for its answers or its claim.
  const sayBye = () => api.post({ t: 'bye' });
  globalThis.addEventListener?.('pagehide', sayBye);

  const api: Channel = {
    self,
    post(message) {
      if (!closed) channel.postMessage({ ...message, from: self, scope });
    },
    listen(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    knownPeers: () => peers.size,
    ask(expected, enough, timeoutMs) {
      if (expected === 0 || closed) return Promise.resolve();
      const id = randomId();
      const answered = new Set<string>();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          off();
          asking.delete(done);
          resolve();
        };
        asking.add(done);
        const timer = setTimeout(() => {
          // Silent peers are forgotten until they speak again: a closed or crashed tab would
          // otherwise cost every later query the whole timeout.
          for (const peer of peers) if (!answered.has(peer)) peers.delete(peer);
          done();
        }, timeoutMs);
        const off = api.listen((m) => {
          if (m.t !== 'answer' || m.id !== id) return;
          answered.add(m.from);
          if (answered.size >= expected || (m.token && enough(m.token))) done();
        });
        api.post({ t: 'query', id });
      });
    },
    close() {
      sayBye();
      globalThis.removeEventListener?.('pagehide', sayBye);
      closed = true;
      for (const done of [...asking]) done();
      listeners.clear();
      channel.close();
    },
  };
  return api;
}
