/**
 * Refresh coordination: one refresh per era for every caller in the tab (single-flight), one for
 * every tab (the refresh lock), a peer's fresh token in place of our own call when one arrives
 * first, and a cooldown during an outage so that it is not hammered once per request or per tab.
 */
import { RefreshError } from './errors.js';
import type { AuthEvent, RefreshReason } from './events.js';
import type { RefreshLock, Turn } from './lock.js';
import type { RefreshOutcome } from './refresh-call.js';
import type { Session } from './session.js';
import type { Tabs } from './tabs.js';
import { isNewer, type Token } from './token.js';
import { until } from './wait.js';

export type Refresher = ReturnType<typeof createRefresher>;

interface Parts {
  session: Session;
  tabs: Tabs | undefined;
  lock: RefreshLock;
  emit(event: AuthEvent): void;
  /** One call to the refresh endpoint, retries of transient failures included. */
  call(): Promise<RefreshOutcome>;
  peerTimeoutMs: number;
  refreshTimeoutMs: number;
  /** `dispose()`: every wait under way ends. */
  closing: AbortSignal;
}

const REJECTED: RefreshOutcome = { kind: 'rejected', status: undefined, code: undefined };
/** How many peer timeouts a tab that queued behind another gives that tab's announcement to arrive. */
const QUEUED_PATIENCE = 5;
const COOLDOWN_FIRST_MS = 1_000;
const COOLDOWN_MAX_MS = 30_000;

const failed = (error: RefreshError): RefreshOutcome => ({ kind: 'failed', error });
const fromTab = (token: Token): RefreshOutcome => ({ kind: 'ok', token, source: 'tab' });

/**
 * During an outage, no new refresh before a delay (real time, shared by tabs). One failure is a blip
 * and sets none: the cooldown starts at the second failure in a row with the same token, 1 s
 * doubling to 30 s. Any new token ends it, and so does the browser coming back online.
 */
function createCooldown(session: Session) {
  let until = 0;
  let failures = 0;
  let cause: RefreshError | undefined;
  /** The token the failures were had with: once it changed, the endpoint works again. */
  let failedWith: Token | undefined;
  const current = () => session.token() === failedWith;
  return {
    active: () => current() && Date.now() < until,
    /** The error for a request that needs a new token meanwhile. */
    error: () =>
      new RefreshError(__DEV__ ? `Refresh not tried: the last one failed; next try in ${Math.ceil((until - Date.now()) / 1000)} s` : 'refresh cooldown', { cause }),
    /** This tab's refresh failed: returns when the next may start (0: at once). */
    failed(error: RefreshError): number {
      if (!current()) failures = 0;
      failedWith = session.token();
      failures++;
      cause = error;
      until = failures < 2 ? 0 : Date.now() + Math.min(COOLDOWN_FIRST_MS * 2 ** (failures - 2), COOLDOWN_MAX_MS);
      return until;
    },
    /** Another tab's refresh failed; from its second failure in a row, none before `peerUntil`. */
    heard(peerUntil: number): void {
      until = Math.max(current() ? until : 0, Math.min(peerUntil, Date.now() + COOLDOWN_MAX_MS));
      failedWith = session.token();
      cause = new RefreshError(__DEV__ ? 'Refresh failed in another tab' : 'refresh');
    },
    cause: () => cause,
    end(): void {
      until = 0;
      failures = 0;
    },
  };
}

/** What other tabs say while a refresh of ours waits: a token that replaces the one it replaces, or a failure of theirs. */
function createPeerWatch() {
  let waiting: { replaces(t: Token): boolean; reason: RefreshReason; settle(outcome: RefreshOutcome): void } | undefined;
  /** How many failed refreshes of other tabs this tab heard of: a refresh that began before one shares its outcome. */
  let failures = 0;
  return {
    /** Waits for a peer's outcome that stands in for ours, until `stop()` (our own turn came, or we are done). */
    wait(replaces: (t: Token) => boolean, reason: RefreshReason) {
      let entry: typeof waiting;
      const outcome = new Promise<RefreshOutcome>((settle) => {
        waiting = entry = { replaces, reason, settle };
      });
      const stop = () => {
        if (waiting === entry) waiting = undefined;
      };
      return { outcome, stop };
    },
    heardToken(token: Token): void {
      if (waiting?.replaces(token)) waiting.settle(fromTab(token));
    },
    /** A peer's refresh failed: a waiting refresh of ours fails with it, unless the app asked for it (`manual`). */
    heardFailure(error: RefreshError): void {
      failures++;
      if (waiting && waiting.reason !== 'manual') waiting.settle(failed(error));
    },
    failuresHeard: () => failures,
  };
}

/** What the steps of one refresh share. */
interface Coordination extends Parts {
  cooldown: ReturnType<typeof createCooldown>;
  peers: ReturnType<typeof createPeerWatch>;
  /** The longest a caller waits for a refresh: the holder's call, then asking the peers patiently in our turn, and our own call. */
  budgetMs: number;
}

/** The era changed meanwhile (a logout, a login, a refusal in another tab): the current token, if any, speaks for the session. */
function superseded({ session }: Coordination): RefreshOutcome {
  const token = session.token();
  return session.isUsable(token) ? fromTab(token) : REJECTED;
}

const peerFailureError = ({ cooldown }: Coordination) =>
  new RefreshError(__DEV__ ? 'Refresh not tried: it failed in another tab just now' : 'refresh', { cause: cooldown.cause() });

/** Our own call's outcome: the session takes it, and the other tabs hear of it before the lock is released. */
function settle({ session, tabs, cooldown }: Coordination, outcome: RefreshOutcome): void {
  if (outcome.kind === 'ok') {
    session.accept(outcome.token);
    tabs?.announce({ t: 'token', token: outcome.token });
  } else if (outcome.kind === 'rejected') {
    session.end('rejected', { status: outcome.status, code: outcome.code });
    tabs?.announce({ t: 'end' });
  } else {
    const next = cooldown.failed(outcome.error);
    tabs?.announce({ t: 'outage', until: next });
  }
}

interface Attempt {
  era: number;
  /** Whether a token stands in for ours: newer than the one being replaced, and fresh. */
  replaces: (t: Token | undefined) => t is Token;
  reason: RefreshReason;
}

/** What a refresh knows of its peers before its turn: how many there are, and (at start-up) their answers. */
interface PeersAsked {
  counted: Promise<number | undefined> | undefined;
  /** At start-up the peers are asked at once, not in our turn: an authenticated tab's answer ends the wait before the lock is even taken. */
  asked: Promise<void> | undefined;
}

/** This tab's turn at the lock: a peer may have refreshed just before; else call the endpoint. */
async function inTurn(c: Coordination, { era, replaces, reason }: Attempt, turn: Turn, { counted, asked }: PeersAsked): Promise<RefreshOutcome> {
  const { session, tabs, lock, cooldown, peers, peerTimeoutMs } = c;
  const heardBefore = peers.failuresHeard();
  // With turns (Web Locks), a peer that refreshed just before we got the lock may still have its
  // announcement in flight; its answer comes after it. Behind a holder, that announcement is all
  // but certain: be patient. Without turns, peers are asked only at start-up.
  if (tabs && turn.queued) await tabs.ask(replaces, QUEUED_PATIENCE * peerTimeoutMs);
  else if (tabs && (lock.shared || reason === 'startup')) await (asked ?? tabs.ask(replaces, peerTimeoutMs, counted));
  if (session.era() !== era) return superseded(c);
  const current = session.token();
  if (replaces(current)) return fromTab(current);
  // A peer's refresh failed while we queued (its message came before its answer): that was ours too.
  if (reason !== 'manual' && peers.failuresHeard() > heardBefore) return failed(peerFailureError(c));
  if (reason !== 'manual' && cooldown.active()) return failed(cooldown.error());
  const outcome = await c.call();
  if (session.era() !== era) return superseded(c);
  settle(c, outcome);
  return outcome;
}

/** Whichever comes first: a peer's outcome that stands in for ours, our own turn's outcome, or the end of the budget. */
async function coordinate(c: Coordination, attempt: Attempt): Promise<RefreshOutcome> {
  const { lock, tabs, closing, budgetMs } = c;
  const budget = AbortSignal.timeout(budgetMs);
  const leave = new AbortController(); // leaves the lock queue once settled
  // Counting the peers (and at start-up asking them) overlaps with waiting for the lock.
  const counted = lock.shared ? tabs?.countPeers() : undefined;
  const asked = attempt.reason === 'startup' ? tabs?.ask(attempt.replaces, c.peerTimeoutMs, counted) : undefined;
  const peer = c.peers.wait(attempt.replaces, attempt.reason);
  const ourTurn = (turn: Turn) => {
    peer.stop(); // from here on this tab decides
    return inTurn(c, attempt, turn, { counted, asked });
  };
  const turn = lock.run(ourTurn, AbortSignal.any([leave.signal, budget, closing]));
  turn.catch(() => {}); // an abort after the race is ours; other failures are seen by the race
  try {
    return await until(Promise.race([peer.outcome, turn]), budget, closing);
  } catch (cause) {
    if (closing.aborted) return failed(new RefreshError(__DEV__ ? 'Refresh abandoned: the instance was disposed' : 'disposed'));
    if (!budget.aborted) return failed(new RefreshError(__DEV__ ? 'Refresh failed: could not coordinate with other tabs' : 'refresh lock', { cause }));
    const error = new RefreshError(__DEV__ ? `Refresh failed: no token within ${budgetMs} ms` : 'refresh timeout');
    c.cooldown.failed(error);
    return failed(error);
  } finally {
    peer.stop();
    leave.abort();
  }
}

export function createRefresher(parts: Parts) {
  const { session, emit } = parts;
  const c: Coordination = {
    ...parts,
    cooldown: createCooldown(session),
    peers: createPeerWatch(),
    budgetMs: parts.refreshTimeoutMs + (1 + QUEUED_PATIENCE) * parts.peerTimeoutMs,
  };
  let inflight: { era: number; outcome: Promise<RefreshOutcome> } | undefined;

  async function run(reason: RefreshReason, replacing: Token | undefined): Promise<RefreshOutcome> {
    const era = session.era();
    emit({ type: 'refresh:start', reason });
    // A peer's token stands in for ours when it is newer than the one being replaced and fresh.
    const replaces = (t: Token | undefined): t is Token => session.isUsable(t) && isNewer(t, replacing);
    const outcome = await coordinate(c, { era, replaces, reason });
    // Events speak for the era they began in: nothing is reported after a logout or a login. (A
    // token from a tab was reported when it was adopted.)
    if (session.era() === era && outcome.kind === 'ok' && outcome.source === 'network') {
      emit({ type: 'refresh:success', source: 'network', expiresAt: session.localExpiry(outcome.token) });
    }
    if (session.era() === era && outcome.kind === 'failed') emit({ type: 'refresh:error', error: outcome.error });
    return outcome;
  }

  return {
    /**
     * The outcome of the refresh under way in this era, or of a new one. During a cooldown a new one
     * fails at once (a `manual` refresh, asked for by the app, still goes out).
     */
    refresh(reason: RefreshReason, replacing: Token | undefined = session.token()): Promise<RefreshOutcome> {
      if (inflight?.era === session.era()) return inflight.outcome;
      if (reason !== 'manual' && c.cooldown.active()) return Promise.resolve(failed(c.cooldown.error()));
      const entry = { era: session.era(), outcome: run(reason, replacing) };
      inflight = entry;
      void entry.outcome.then(() => {
        if (inflight === entry) inflight = undefined;
      });
      return entry.outcome;
    },
    /** A peer's token (an answer, an announcement): the session takes it if newer, and a refresh waiting for one ends with it. */
    adopt(token: Token): void {
      if (!session.offer(token)) return;
      emit({ type: 'refresh:success', source: 'tab', expiresAt: session.localExpiry(token) });
      c.peers.heardToken(token);
    },
    /**
     * Another tab's refresh failed: a refresh of ours that was waiting fails with it (the app's own
     * `refresh()` still goes out), and none starts before `next` (0: a blip, the next may go at once).
     */
    heardOutage(next: number): void {
      c.cooldown.heard(next);
      c.peers.heardFailure(peerFailureError(c));
    },
    /** The browser is back online: the endpoint may answer again. */
    backOnline: () => c.cooldown.end(),
  };
}
