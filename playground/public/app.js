// The playground page: plain ES module, no framework. Everything the buttons do is also on
// `window.demo`, which the browser tests and the soak drive and read instead of scraping text.
import { createAuthFetch } from '/lib/index.js';

const params = new URLSearchParams(location.search);
/** createAuthFetch options; the query string may override the tunables (tests, soak). */
const options = { refresh: '/auth/refresh', logout: '/auth/logout' };
if (params.has('channel')) options.channel = params.get('channel') === 'false' ? false : params.get('channel');
for (const key of ['leewayMs', 'peerTimeoutMs', 'refreshTimeoutMs']) {
  if (params.has(key)) options[key] = Number(params.get(key));
}

const authFetch = createAuthFetch(options);
const tabId = Math.random().toString(36).slice(2, 6);
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// Counters and records (window.demo reads these)

const counts = {
  requests: 0, // calls made through authFetch by this page
  inFlight: 0,
  settled: 0,
  ok: 0, // 2xx
  httpErrors: 0, // non-2xx responses handed to the caller
  status401: 0, // 401s the caller saw (auth-fetch should make these rare: only when really anonymous)
  rejected: 0, // promises that rejected (see errorNames)
  refreshStarts: 0,
  refreshOwn: 0, // refresh:success from the network (this tab called /auth/refresh)
  refreshPeer: 0, // refresh:success from another tab
  refreshErrors: 0,
  replays: 0,
  tabMessages: 0,
  sessionStarts: 0,
  sessionEnds: 0,
  becameAnonymous: 0, // transitions authenticated → anonymous
};
const statuses = {}; // HTTP status → count
const errorNames = {}; // rejection error name → count
const events = []; // every auth-fetch event, with a timestamp (capped)
const stateChanges = []; // { t, status }
const batches = [];
const last = {};
const EVENTS_CAP = 5000;

function bump(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

async function readBody(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * One request through authFetch. Never rejects: resolves to a plain, serialisable record with the
 * status and body, or with the rejection's error name.
 */
async function request(input, init = {}) {
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
    const errorName = err?.name ?? typeof err;
    counts.rejected++;
    bump(errorNames, errorName);
    log(errorName === 'SessionEndedError' ? 'session' : 'error', `${method} ${url} rejected: ${errorName}`);
    return { method, url, ok: false, status: 0, errorName, errorMessage: String(err?.message ?? err) };
  } finally {
    counts.inFlight--;
    counts.settled++;
  }
}

/** Fires n requests at once without waiting; returns the batch index for waitBatch(). */
function start(n, input, init = {}) {
  const batch = { total: n, done: 0, results: [] };
  batch.promise = Promise.all(
    Array.from({ length: n }, () =>
      request(input, init).then((r) => {
        batch.done++;
        batch.results.push(r);
        return r;
      }),
    ),
  );
  batches.push(batch);
  return batches.length - 1;
}

async function waitBatch(index) {
  return batches[index].promise;
}

// ---------------------------------------------------------------------------------------------
// Event log

const logList = $('log');
const LOG_CAP = 200;

function clock(date = new Date()) {
  return date.toTimeString().slice(0, 8);
}

/**
 * Appends a line. A line equal to one of the newest few bumps that line's ×N and moves it to the
 * top instead, so that a burst of 50 replays interleaved with tab messages stays readable.
 */
function log(kind, text) {
  const recent = [...logList.children].slice(0, 4).find((li) => li.dataset.text === text);
  if (recent) {
    const n = Number(recent.dataset.n) + 1;
    recent.dataset.n = String(n);
    recent.querySelector('span').textContent = `${text}  ×${n}`;
    recent.querySelector('time').textContent = clock();
    logList.prepend(recent);
    return;
  }
  logList.querySelector('li.empty')?.remove();
  const li = document.createElement('li');
  li.dataset.kind = kind;
  li.dataset.text = text;
  li.dataset.n = '1';
  const time = document.createElement('time');
  time.textContent = clock();
  const span = document.createElement('span');
  span.textContent = text;
  li.append(time, span);
  logList.prepend(li);
  while (logList.children.length > LOG_CAP) logList.lastElementChild.remove();
}

function clearLog() {
  logList.replaceChildren();
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = 'Events appear here: refreshes, replays, messages from other tabs, logouts.';
  logList.append(li);
}

/** auth-fetch's channel messages, in words. */
const TAB_MESSAGES = {
  query: 'another tab asked for the current token',
  token: 'another tab shared its token',
  end: 'another tab ended the session',
  claim: 'another tab claimed the refresh',
  bye: 'another tab closed',
};

authFetch.on((event) => {
  events.push({ t: Date.now(), ...event, error: event.error ? { name: event.error.name, message: event.error.message } : undefined });
  if (events.length > EVENTS_CAP) events.splice(0, events.length - EVENTS_CAP);
  switch (event.type) {
    case 'refresh:start':
      counts.refreshStarts++;
      log('refresh', `refresh started (${event.reason})`);
      break;
    case 'refresh:success':
      if (event.source === 'tab') {
        counts.refreshPeer++;
        log('tab', 'fresh token received from another tab');
      } else {
        counts.refreshOwn++;
        log('refresh', 'refresh finished: new token from the server');
      }
      break;
    case 'refresh:error':
      counts.refreshErrors++;
      log('error', `refresh failed: ${event.error?.name ?? 'Error'}${event.error?.message ? ` (${event.error.message})` : ''}`);
      break;
    case 'replay':
      counts.replays++;
      log('replay', `401 → replayed ${event.method} ${shortUrl(event.url)}`);
      break;
    case 'session:start':
      counts.sessionStarts++;
      log('session', 'session started');
      break;
    case 'session:end':
      counts.sessionEnds++;
      log('session', `session ended (${event.reason})`);
      break;
    case 'tab:message':
      counts.tabMessages++;
      log('tab', TAB_MESSAGES[event.kind] ?? `message from another tab: ${event.kind}`);
      break;
    default:
      log('info', event.type);
  }
  render();
});

function shortUrl(url) {
  try {
    const u = new URL(url, location.href);
    return u.origin === location.origin ? u.pathname + u.search : u.href;
  } catch {
    return String(url);
  }
}

// ---------------------------------------------------------------------------------------------
// Session panel

let lastStatus = authFetch.getState().status;
authFetch.subscribe((state) => {
  if (state.status !== lastStatus) {
    stateChanges.push({ t: Date.now(), status: state.status });
    if (lastStatus === 'authenticated' && state.status === 'anonymous') counts.becameAnonymous++;
    lastStatus = state.status;
  }
  render();
});

function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

function render() {
  const state = authFetch.getState();
  const badge = $('status');
  badge.dataset.status = state.status;
  const who = state.status === 'authenticated' && state.accessToken ? claims(state.accessToken) : {};
  const name = who.username ?? who.name ?? who.sub;
  badge.textContent = state.status === 'authenticated' && name ? `authenticated · ${name}` : state.status;
  const signedIn = state.status === 'authenticated';
  $('login').hidden = signedIn;
  $('demo-users').hidden = signedIn;
  $('signed-in').hidden = !signedIn;
  $('btn-expire').disabled = !signedIn;
  $('btn-logout').disabled = !signedIn;
  $('refresh-own').textContent = String(counts.refreshOwn);
  $('refresh-peer').textContent = String(counts.refreshPeer);
  $('replays').textContent = String(counts.replays);
  renderExpiry(state);
}

function renderExpiry(state = authFetch.getState()) {
  const el = $('expiry');
  if (state.status !== 'authenticated' || !state.expiresAt) {
    el.textContent = '—';
    return;
  }
  const left = Math.round((state.expiresAt - Date.now()) / 1000);
  // auth-fetch has no timer: an idle tab keeps its expired token until the next call refreshes first.
  if (left <= 0) el.textContent = 'expired · next call refreshes';
  else el.textContent = left >= 60 ? `${Math.floor(left / 60)} min ${left % 60} s` : `${left} s`;
}

setInterval(() => renderExpiry(), 1000);

// ---------------------------------------------------------------------------------------------
// Actions

/** Shows a result as "label: value" lines (objects one level deep), not raw JSON. */
function show(title, value) {
  const lines = [title];
  if (typeof value === 'string') lines.push(value);
  else {
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      lines.push(`${key}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    }
  }
  $('result').textContent = lines.join('\n');
}

async function login(username = 'alice', password = 'wonderland') {
  let result;
  try {
    const res = await fetch('/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
      credentials: 'include',
    });
    const body = await readBody(res);
    if (res.ok && body?.accessToken) {
      authFetch.setTokens({ accessToken: body.accessToken, expiresIn: body.expiresIn });
      log('session', `logged in as ${username}`);
    } else {
      log('error', `login failed: ${res.status} ${body?.error ?? ''}`);
    }
    result = { ok: res.ok, status: res.status, error: res.ok ? undefined : body?.error };
  } catch (err) {
    result = { ok: false, status: 0, errorName: err?.name ?? 'Error' };
  }
  last.login = result;
  show(`POST /auth/login (${username})`, result);
  render();
  return result;
}

async function me() {
  const result = await request('/api/me');
  last.me = result;
  show('GET /api/me', { status: result.status || result.errorName, body: result.body });
  return result;
}

let postSeq = 0;
/** `key: null` leaves the Idempotency-Key to auth-fetch (it adds one to POSTs by itself). */
async function createPost({ title, key } = {}) {
  const idempotencyKey = key === null ? null : (key ?? crypto.randomUUID());
  const replaysBefore = counts.replays;
  const headers = { 'Content-Type': 'application/json' };
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const result = await request('/api/posts', {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: title ?? `Post #${++postSeq} from tab ${tabId}`, body: 'Written by the auth-fetch playground.' }),
  });
  result.idempotencyKey = idempotencyKey;
  last.post = result;
  show('POST /api/posts', {
    'Idempotency-Key': idempotencyKey ?? '(chosen by auth-fetch)',
    status: result.status || result.errorName,
    'sent again after a 401': counts.replays > replaysBefore ? 'yes, same key' : 'no',
    'Idempotent-Replayed': result.replayed ? 'yes (answered from the key\'s record)' : 'no',
    post: result.body?.id ? `${result.body.id.slice(0, 8)}… “${result.body.title}”` : result.body?.error,
  });
  return result;
}

async function burst(n = 50, path = '/api/me') {
  const before = { ...counts };
  const results = await waitBatch(start(n, path));
  const byOutcome = {};
  for (const r of results) bump(byOutcome, r.status ? String(r.status) : r.errorName);
  const outcomes = Object.entries(byOutcome).map(([outcome, k]) => `${k} × ${outcome}`).join(', ');
  const summary = {
    requests: n,
    outcomes,
    'refreshes sent by this tab': counts.refreshOwn - before.refreshOwn,
    'tokens taken from other tabs': counts.refreshPeer - before.refreshPeer,
    '401s replayed': counts.replays - before.replays,
  };
  last.burst = summary;
  show(`Burst: ${n} × GET ${path}`, summary);
  return summary;
}

const EXPIRED_MARK = 'EXPIRED0';

/** Corrupts the signature, keeps exp: the client still trusts the token, the server does not. */
function expireNow() {
  const state = authFetch.getState();
  if (state.status !== 'authenticated' || !state.accessToken) {
    show('Expire now', 'Not logged in: nothing to expire.');
    return false;
  }
  const [header, payload, signature = ''] = state.accessToken.split('.');
  // A fixed prefix rather than a flipped character, so that doing it twice (here and in another
  // tab) cannot restore the original signature.
  const broken = `${header}.${payload}.${EXPIRED_MARK}${signature.slice(EXPIRED_MARK.length)}`;
  const tokens = { accessToken: broken };
  if (state.expiresAt) tokens.expiresIn = Math.max(1, Math.round((state.expiresAt - Date.now()) / 1000));
  authFetch.setTokens(tokens);
  log('info', 'access token invalidated on this tab (signature corrupted, exp unchanged)');
  show('Expire now', 'The next call sends a token the server rejects with 401; auth-fetch refreshes once and replays it.');
  last.expire = true;
  return true;
}

async function logout() {
  let result;
  try {
    await authFetch.logout();
    result = { ok: true };
  } catch (err) {
    result = { ok: false, errorName: err?.name ?? 'Error' };
  }
  last.logout = result;
  show('Log out', result);
  render();
  return result;
}

function openTab() {
  return window.open(location.href, '_blank') !== null;
}

function reset() {
  for (const key of Object.keys(counts)) if (key !== 'inFlight') counts[key] = 0;
  for (const map of [statuses, errorNames]) for (const key of Object.keys(map)) delete map[key];
  events.length = 0;
  stateChanges.length = 0;
  render();
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const form = new FormData(e.currentTarget);
  void login(String(form.get('username')), String(form.get('password')));
});
$('btn-me').addEventListener('click', () => void me());
$('btn-post').addEventListener('click', () => void createPost());
$('btn-burst').addEventListener('click', () => void burst());
$('btn-expire').addEventListener('click', () => expireNow());
$('btn-logout').addEventListener('click', () => void logout());
$('btn-tab').addEventListener('click', () => openTab());
$('btn-clear').addEventListener('click', () => clearLog());

// ---------------------------------------------------------------------------------------------
// Start-up and the test hook

$('tab-id').textContent = tabId;
clearLog();
render();

const demo = {
  tabId,
  options,
  authFetch,
  counts,
  statuses,
  errorNames,
  events,
  stateChanges,
  batches,
  last,
  isReady: false,
  readyError: null,
  ready: null,
  state: () => authFetch.getState(),
  status: () => authFetch.getState().status,
  snapshot: () => ({
    tabId,
    status: authFetch.getState().status,
    counts: { ...counts },
    statuses: { ...statuses },
    errorNames: { ...errorNames },
  }),
  request,
  start,
  waitBatch,
  waitIdle: async () => {
    await Promise.all(batches.map((b) => b.promise));
  },
  login,
  me,
  createPost,
  burst,
  expireNow,
  logout,
  openTab,
  reset,
};
demo.ready = Promise.resolve(authFetch.ready)
  .catch((err) => {
    demo.readyError = err?.name ?? 'Error';
  })
  .then(() => {
    demo.isReady = true;
    log('session', `ready: ${authFetch.getState().status}`);
    render();
  });
window.demo = demo;
