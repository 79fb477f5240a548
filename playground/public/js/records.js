// @ts-check
// What this tab did and saw, as plain data: counters, HTTP statuses, rejections, events, batches.
// `window.demo` exposes these objects themselves, so the tests and the soak read live values.
import { authFetch } from './client.js';
import { log } from './event-log.js';

/** @typedef {import('../demo').DemoResult} DemoResult */
/** @typedef {import('../demo').Batch} Batch */

/** @type {import('../demo').DemoCounts} */
export const counts = {
  requests: 0,
  inFlight: 0,
  settled: 0,
  ok: 0,
  httpErrors: 0,
  status401: 0,
  rejected: 0,
  refreshStarts: 0,
  refreshOwn: 0,
  refreshPeer: 0,
  refreshErrors: 0,
  replays: 0,
  tabMessages: 0,
  sessionStarts: 0,
  sessionEnds: 0,
  becameAnonymous: 0,
};
/** @type {Record<string, number>} HTTP status → count */
export const statuses = {};
/** @type {Record<string, number>} rejection error name → count */
export const errorNames = {};
/** @type {import('../demo').DemoEvent[]} every auth-fetch event, timestamped (the newest EVENTS_CAP) */
export const events = [];
/** @type {import('../demo').Demo['stateChanges']} */
export const stateChanges = [];
/** @type {Batch[]} */
export const batches = [];
/** @type {Record<string, unknown>} */
export const last = {};
const EVENTS_CAP = 5000;

/**
 * @param {Record<string, number>} map
 * @param {string | number} key
 */
export function bump(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

/** @param {Response} res */
export async function readBody(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** @param {unknown} err */
export const errorNameOf = (err) => (err instanceof Error ? err.name : typeof err);

/**
 * One request through authFetch. Never rejects: resolves to a plain, serialisable record with the
 * status and body, or with the rejection's error name.
 * @param {string} input
 * @param {RequestInit} [init]
 * @returns {Promise<DemoResult>}
 */
export async function request(input, init = {}) {
  const method = (init.method ?? 'GET').toUpperCase();
  const url = String(input);
  counts.requests++;
  counts.inFlight++;
  try {
    const res = await authFetch(input, init);
    const body = await readBody(res);
    bump(statuses, res.status);
    if (res.ok) counts.ok++;
    else counts.httpErrors++;
    if (res.status === 401) {
      counts.status401++;
      log('error', `${method} ${url} → 401 ${body?.error ?? ''} (handed to the caller)`);
    }
    return { method, url, ok: res.ok, status: res.status, body, replayed: res.headers.get('Idempotent-Replayed') === 'true' };
  } catch (err) {
    const errorName = errorNameOf(err);
    counts.rejected++;
    bump(errorNames, errorName);
    log(errorName === 'SessionEndedError' ? 'session' : 'error', `${method} ${url} rejected: ${errorName}`);
    return { method, url, ok: false, status: 0, errorName, errorMessage: err instanceof Error ? err.message : String(err) };
  } finally {
    counts.inFlight--;
    counts.settled++;
  }
}

/**
 * Fires n requests at once without waiting; returns the batch index for waitBatch().
 * @param {number} n
 * @param {string} input
 * @param {RequestInit} [init]
 */
export function start(n, input, init = {}) {
  /** @type {DemoResult[]} */
  const results = [];
  /** @type {Batch} */
  const batch = {
    total: n,
    done: 0,
    results,
    promise: Promise.all(
      Array.from({ length: n }, () =>
        request(input, init).then((r) => {
          batch.done++;
          results.push(r);
          return r;
        }),
      ),
    ),
  };
  batches.push(batch);
  return batches.length - 1;
}

/** @param {number} index */
export function waitBatch(index) {
  const batch = batches[index];
  if (!batch) throw new RangeError(`No batch ${index}; start() returned 0..${batches.length - 1}`);
  return batch.promise;
}

export async function waitIdle() {
  await Promise.all(batches.map((b) => b.promise));
}

/**
 * Counts an auth-fetch event and keeps it (errors reduced to name and message).
 * @param {import('/lib/index.js').AuthEvent} event
 */
export function recordEvent(event) {
  const error = 'error' in event ? { name: event.error.name, message: event.error.message } : undefined;
  events.push({ t: Date.now(), ...event, error });
  if (events.length > EVENTS_CAP) events.splice(0, events.length - EVENTS_CAP);
  switch (event.type) {
    case 'refresh:start':
      counts.refreshStarts++;
      break;
    case 'refresh:success':
      if (event.source === 'tab') counts.refreshPeer++;
      else counts.refreshOwn++;
      break;
    case 'refresh:error':
      counts.refreshErrors++;
      break;
    case 'replay':
      counts.replays++;
      break;
    case 'session:start':
      counts.sessionStarts++;
      break;
    case 'session:end':
      counts.sessionEnds++;
      break;
    case 'tab:message':
      counts.tabMessages++;
      break;
  }
}

let lastStatus = authFetch.getState().status;

/**
 * Keeps the status transitions.
 * @param {import('/lib/index.js').SessionState} state
 */
export function recordState(state) {
  if (state.status === lastStatus) return;
  stateChanges.push({ t: Date.now(), status: state.status });
  if (lastStatus === 'authenticated' && state.status === 'anonymous') counts.becameAnonymous++;
  lastStatus = state.status;
}

/** Zeroes the counters (but not `inFlight`, which requests still running will decrement). */
export function reset() {
  for (const key of /** @type {Array<keyof typeof counts>} */ (Object.keys(counts))) if (key !== 'inFlight') counts[key] = 0;
  for (const map of [statuses, errorNames]) for (const key of Object.keys(map)) delete map[key];
  events.length = 0;
  stateChanges.length = 0;
}

/** @param {string} tabId @returns {import('../demo').DemoSnapshot} */
export function snapshot(tabId) {
  return {
    tabId,
    status: authFetch.getState().status,
    counts: { ...counts },
    statuses: { ...statuses },
    errorNames: { ...errorNames },
  };
}
