/**
 * The tab protocol: how the instances of one app in one browser (its tabs, and instances in one
 * page) share a session over a BroadcastChannel. What a tab announces sits here beside what it does
 * on hearing it; no other module posts on the channel. Each message names its sender and its scope
 * (the sender's refresh URL and trusted origins); anything that does not parse, or comes from
 * another scope (another app on the origin, another library, a script injected into a page), is
 * ignored.
 *
 * | `t`    | fields     | meaning                                                          | a tab hearing it         |
 * |--------|------------|------------------------------------------------------------------|--------------------------|
 * | query  | id         | "Which token do you hold?"                                       | answers                  |
 * | answer | id, token? | The reply to one query, with the sender's token if it holds one. | adopts a newer token     |
 * | token  | token      | The sender's refresh brought a new token.                        | adopts a newer token     |
 * | login  | token      | The sender started a session (a login).                          | joins it                 |
 * | end    |            | The session ended in the sender (logout, refresh token refused). | ends its own             |
 * | outage | until      | The sender's refresh failed; no tab tries before `until` (0: any may). | shares the failure  |
 *
 * A channel keeps each sender's order, so a peer's answer always arrives after the announcements it
 * made before it: asking is how a tab makes sure it has heard everything a peer said.
 *
 * Who is there: with Web Locks each instance holds a presence lock (`<name>:tab:<id>`) for its
 * life, and `navigator.locks.query()` counts them; the browser releases a closed tab's locks.
 * Without Web Locks peers cannot be counted, and a question waits for the first answer only.
 */
import type { AuthEvent } from './events.js';
import { webLocks, type LockManager } from './lock.js';
import type { Session } from './session.js';
import { isToken, type Token } from './token.js';
import { aborted, sleep } from './wait.js';

export type Announcement = { t: 'token'; token: Token } | { t: 'login'; token: Token } | { t: 'end' } | { t: 'outage'; until: number };

type Message = Announcement | { t: 'query'; id: string } | { t: 'answer'; id: string; token?: Token };

/** A message as received: with its sender. */
type Received = Message & { from: string };

/** What the refresher does with what the tabs say. */
export interface Listener {
  /** A peer's token (an answer, an announcement): taken if newer. */
  adopt(token: Token): void;
  /** A peer's refresh failed again: no refresh here before `until`. */
  heardOutage(until: number): void;
}

const CHECKS: Record<Message['t'], (m: Record<string, unknown>) => boolean> = {
  query: (m) => typeof m.id === 'string',
  answer: (m) => typeof m.id === 'string' && (m.token === undefined || isToken(m.token)),
  token: (m) => isToken(m.token),
  login: (m) => isToken(m.token),
  end: () => true,
  outage: (m) => Number.isFinite(m.until),
};

function parse(data: unknown, scope: string): Received | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m.scope !== scope || typeof m.from !== 'string' || typeof m.t !== 'string' || !Object.hasOwn(CHECKS, m.t)) return undefined;
  return CHECKS[m.t as Message['t']](m) ? (m as unknown as Received) : undefined;
}

const randomId = () => Math.random().toString(36).slice(2) + Date.now().toString(36);

export type Tabs = ReturnType<typeof openTabs>;

/**
 * The presence locks of this page's disposed instances: an instance disposed an instant ago (a
 * StrictMode remount, a hot update) may still be listed while its lock is being released.
 */
const disposed = new Set<string>();

/** How many other instances hold a presence lock named `prefix…`; undefined where that cannot be known (no Web Locks). Never rejects. */
async function countPresence(locks: LockManager | undefined, prefix: string, own: string): Promise<number | undefined> {
  if (!locks?.query) return undefined;
  try {
    const { held = [] } = await locks.query();
    const live = held.map((lock) => lock.name).filter((n) => n?.startsWith(prefix) && n !== own && !disposed.has(n));
    return new Set(live).size;
  } catch {
    return undefined;
  }
}

/** What a tab does on hearing a message. */
interface Hearing {
  session: Session;
  listener: Listener;
  post(message: Message): void;
  /** The questions this instance asked and awaits answers to, by id. */
  questions: Map<string, (answer: Received & { t: 'answer' }) => void>;
  emit(event: AuthEvent): void;
}

function hear(message: Received, { session, listener, post, questions, emit }: Hearing): void {
  emit({ type: 'tab:message', kind: message.t });
  switch (message.t) {
    case 'query': {
      const token = session.token();
      post(token ? { t: 'answer', id: message.id, token } : { t: 'answer', id: message.id });
      break;
    }
    case 'answer':
      questions.get(message.id)?.(message);
      if (message.token) listener.adopt(message.token);
      break;
    case 'token':
      listener.adopt(message.token);
      break;
    case 'login':
      // Whatever this tab held or when it ended: a login after it is a new session for every tab.
      if (session.token()?.accessToken !== message.token.accessToken) session.startWith(message.token);
      break;
    case 'end':
      if (session.getState().status !== 'anonymous') session.end('remote');
      break;
    case 'outage':
      listener.heardOutage(message.until);
      break;
  }
}

/**
 * Asks every peer for its token; resolves once every counted peer answered (without Web Locks: the
 * first), once an answer carries a token `enough` accepts, or after `timeoutMs`. The tokens
 * themselves go to the listener.
 */
async function ask(hearing: Hearing, enough: (token: Token) => boolean, timeoutMs: number, counted: Promise<number | undefined>, closing: AbortSignal): Promise<void> {
  const id = randomId();
  const answered = new Set<string>();
  let expected = Infinity;
  const settled = new AbortController();
  hearing.questions.set(id, ({ from, token }) => {
    answered.add(from);
    if (answered.size >= expected || (token && enough(token))) settled.abort();
  });
  hearing.post({ t: 'query', id });
  void counted.then((peers) => {
    expected = peers ?? 1;
    if (answered.size >= expected) settled.abort();
  });
  await sleep(timeoutMs, settled.signal, closing).catch(() => {});
  hearing.questions.delete(id);
}

/**
 * Opens the tab channel `name` for the instances of `scope`; `undefined` where there is none
 * (`channel: false`, no BroadcastChannel). `listener` hears peers' tokens and outages (the
 * refresher); `closing` is `dispose()`.
 */
export function openTabs(name: string | false, scope: string, session: Session, listener: Listener, emit: (event: AuthEvent) => void, closing: AbortSignal) {
  if (name === false || typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(name);
  // Node (SSR, tests) keeps a process alive for an open channel; a browser tab has no such notion.
  (channel as { unref?: () => void }).unref?.();
  const self = randomId();
  const post = (message: Message) => {
    if (!closing.aborted) channel.postMessage({ ...message, from: self, scope });
  };
  const hearing: Hearing = { session, listener, post, questions: new Map(), emit };

  // Locks go by channel and scope: the tabs a tab can count are the ones that can answer it.
  const lockName = `${name} ${scope}`;
  const presence = `${lockName}:tab:${self}`;
  const locks = webLocks();
  // Held until dispose(); a page that cannot take locks (sandboxed, opaque origin) just has no presence.
  locks?.request(presence, { signal: closing }, () => aborted(closing)).catch(() => {});
  const countPeers = () => countPresence(locks, `${lockName}:tab:`, presence);

  channel.onmessage = (event: MessageEvent) => {
    const message = parse(event.data, scope);
    // A channel never delivers a message to the object that posted it: no check for our own.
    if (message) hear(message, hearing);
  };
  // A tab that goes away needs no goodbye: the browser releases its presence lock, and nobody
  // waits on a peer by name.
  closing.addEventListener('abort', () => {
    disposed.add(presence);
    channel.close();
  });

  return {
    /** The name the refresh lock of these tabs goes by. */
    lockName,
    announce: (message: Announcement) => post(message),
    /** Starts counting the live peers now (to overlap with other work); pass the result to `ask`. */
    countPeers,
    /** Asks every peer for its token (see `ask` above). */
    ask: (enough: (token: Token) => boolean, timeoutMs: number, counted = countPeers()) => ask(hearing, enough, timeoutMs, counted, closing),
  };
}
