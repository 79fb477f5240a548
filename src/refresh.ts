/**
 * Refresh coordination: one refresh per era for every caller in the tab (single-flight), one for
 * every tab (the lock), a peer's fresh token in place of our own call when one arrives first, and a
 * cooldown after a failure so that an outage is not hammered once per request or per tab.
 */
import type { Channel } from './channel.js';
import { RefreshError } from './errors.js';
import type { Observable, RefreshReason } from './observable.js';
import type { Config } from './options.js';
import type { Lock, Turn } from './lock.js';
import type { RefreshOutcome } from './refresh-call.js';
import type { Session } from './session.js';
import { isNewer, type Token } from './token.js';

export type Refresher = ReturnType<typeof createRefresher>;

interface Parts {
  config: Config;
  session: Session;
  observable: Observable;
  channel: Channel | undefined;
  lock: Lock;
  /** One call to the refresh endpoint, retries of transient failures included; `closing` cuts it short. */
  call(closing: AbortSignal): Promise<RefreshOutcome>;
}

const REJECTED: RefreshOutcome = { kind: 'rejected', status: undefined, code: undefined };
/** How many peer timeouts a tab that queued behind another gives that tab's announcement to arrive. */
const QUEUED_PATIENCE = 5;
const COOLDOWN_FIRST_MS = 1_000;
const COOLDOWN_MAX_MS = 30_000;

/** After a failed refresh, no new one before a delay that doubles while the outage lasts (1 s … 30 s). Real time, shared by tabs. */
function createCooldown() {
  let until = 0;
  let failures = 0;
  let cause: RefreshError | undefined;
  return {
    active: () => Date.now() < until,
    /** The error for a request that needs a new token meanwhile. */
    error: () => new RefreshError(`Refresh not tried: the last one failed; next try in ${Math.ceil((until - Date.now()) / 1000)} s`, { cause }),
    /** This tab's refresh failed: returns when the next may start. */
    failed(error: RefreshError): number {
      failures++;
      cause = error;
      until = Date.now() + Math.min(COOLDOWN_FIRST_MS * 2 ** (failures - 1), COOLDOWN_MAX_MS);
      return until;
    },
    /** Another tab's refresh failed. */
    heard(peerUntil: number): void {
      until = Math.max(until, Math.min(peerUntil, Date.now() + COOLDOWN_MAX_MS));
      cause ??= new RefreshError('Refresh failed in another tab');
    },
    reset(): void {
      until = 0;
      failures = 0;
      cause = undefined;
    },
  };
}

export function createRefresher({ config, session, observable, channel, lock, call }: Parts) {
  const cooldown = createCooldown();
  // Any new token, ours or a peer's, means the endpoint works again.
  session.onToken(() => cooldown.reset());
  let inflight: { era: number; outcome: Promise<RefreshOutcome> } | undefined;
  /** Aborted by `dispose()`: every wait and call under way ends, and leaves no timer behind. */
  const closing = new AbortController();
  /** The longest a caller waits for a refresh: the holder's call, then asking the peers patiently in our turn, and our own call. */
  const budgetMs = config.refreshTimeoutMs + (1 + QUEUED_PATIENCE) * config.peerTimeoutMs;

  const ok = (token: Token): RefreshOutcome => ({ kind: 'ok', token, source: 'tab' });
  /** The era changed meanwhile (a logout, a login, a refusal in another tab): the current token, if any, speaks for the session. */
  const superseded = (): RefreshOutcome => {
    const token = session.token();
    return session.isUsable(token) ? ok(token) : REJECTED;
  };

  /** Asks the peers for their tokens, waiting for every live one (or, when they cannot be counted, every known one). */
  async function askPeers(enough: (token: Token) => boolean, timeoutMs: number): Promise<void> {
    if (!channel) return;
    const peers = (await lock.peers()) ?? channel.knownPeers();
    await channel.ask(peers, enough, timeoutMs);
  }

  /** This tab's turn at the lock: a peer may have refreshed just before; else call the endpoint. */
  async function inTurn(era: number, replaces: (t: Token | undefined) => t is Token, reason: RefreshReason, turn: Turn): Promise<RefreshOutcome> {
    // A peer that refreshed just before we got the lock may still have its announcement in flight;
    // its answer comes after it. Behind a holder, that announcement is all but certain: be patient.
    await askPeers(replaces, turn.queued ? QUEUED_PATIENCE * config.peerTimeoutMs : config.peerTimeoutMs);
    if (session.era() !== era) return superseded();
    const current = session.token();
    if (replaces(current)) return ok(current);
    // A peer's refresh failed while we queued (its outage message came before its answer).
    if (reason !== 'manual' && cooldown.active()) return { kind: 'failed', error: cooldown.error() };
    const outcome = await call(closing.signal);
    if (session.era() !== era) return superseded();
    if (outcome.kind === 'ok') {
      session.accept(outcome.token);
      // Before the lock is released, so that the next holder hears of it.
      channel?.post({ t: 'token', token: outcome.token });
    } else if (outcome.kind === 'rejected') {
      session.end('rejected', { status: outcome.status, code: outcome.code });
      channel?.post({ t: 'end' });
    } else {
      const until = cooldown.failed(outcome.error);
      channel?.post({ t: 'outage', until });
    }
    return outcome;
  }

  /** Whichever comes first: a peer's token that replaces ours, our own turn's outcome, or the end of the budget. */
  function coordinate(era: number, replacing: Token | undefined, reason: RefreshReason): Promise<RefreshOutcome> {
    // A peer's token stands in for ours when it is newer than the one being replaced and fresh.
    const replaces = (t: Token | undefined): t is Token => session.isUsable(t) && isNewer(t, replacing);
    return new Promise((settle) => {
      const stop = new AbortController();
      const finish = (outcome: RefreshOutcome) => {
        clearTimeout(timer);
        stopListening();
        closing.signal.removeEventListener('abort', close);
        stop.abort(); // leaves the lock queue if still in it
        settle(outcome);
      };
      const close = () => finish({ kind: 'failed', error: new RefreshError('Refresh abandoned: the instance was disposed') });
      closing.signal.addEventListener('abort', close);
      const stopListening = session.onToken((token) => {
        if (replaces(token)) finish(ok(token));
      });
      const timer = setTimeout(() => {
        const error = new RefreshError(`Refresh failed: no token within ${budgetMs} ms`);
        cooldown.failed(error);
        finish({ kind: 'failed', error });
      }, budgetMs);
      const ourTurn = (turn: Turn) => {
        stopListening(); // from here on this tab decides, and its own token is no offer
        return inTurn(era, replaces, reason, turn);
      };
      // Disposed already (start-up first asked for after dispose()): nothing to wait for.
      if (closing.signal.aborted) return close();
      lock.run(ourTurn, stop.signal).then(finish, (cause: unknown) => {
        // An abort is ours (settled already); anything else is the lock manager (e.g. a sandboxed page).
        if (!stop.signal.aborted) finish({ kind: 'failed', error: new RefreshError('Refresh failed: could not coordinate with other tabs', { cause }) });
      });
    });
  }

  async function run(reason: RefreshReason, replacing: Token | undefined): Promise<RefreshOutcome> {
    const era = session.era();
    observable.emit({ type: 'refresh:start', reason });
    const outcome = await coordinate(era, replacing, reason);
    // Events speak for the era they began in: nothing is reported after a logout or a login.
    if (session.era() === era && outcome.kind === 'ok') {
      observable.emit({ type: 'refresh:success', source: outcome.source, expiresAt: session.localExpiry(outcome.token) });
    }
    if (session.era() === era && outcome.kind === 'failed') observable.emit({ type: 'refresh:error', error: outcome.error });
    return outcome;
  }

  return {
    /**
     * The outcome of the refresh under way in this era, or of a new one. During a cooldown a new one
     * fails at once (a `manual` refresh, asked for by the app, still goes out).
     */
    refresh(reason: RefreshReason, replacing: Token | undefined = session.token()): Promise<RefreshOutcome> {
      if (inflight?.era === session.era()) return inflight.outcome;
      if (reason !== 'manual' && cooldown.active()) return Promise.resolve({ kind: 'failed', error: cooldown.error() });
      const entry = { era: session.era(), outcome: run(reason, replacing) };
      inflight = entry;
      void entry.outcome.then(() => {
        if (inflight === entry) inflight = undefined;
      });
      return entry.outcome;
    },
    /** Another tab's refresh failed: wait as long as it does. */
    heardOutage: (until: number) => cooldown.heard(until),
    dispose: () => closing.abort(),
  };
}
