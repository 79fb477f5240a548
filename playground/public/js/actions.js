// @ts-check
// What the buttons do. Each action shows its outcome in "Last result", keeps it in `last`, and
// returns it as plain data, so that `window.demo` can offer the same actions to the tests.
import { authFetch, dpop, tabId } from './client.js';
import { log } from './event-log.js';
import { bump, counts, errorNameOf, last, readBody, request, start, waitBatch } from './records.js';
import { render } from './session-panel.js';

/**
 * Shows a result as "label: value" lines (objects one level deep), not raw JSON.
 * @param {string} title
 * @param {string | Record<string, unknown>} value
 */
function show(title, value) {
  const lines = [title];
  if (typeof value === 'string') lines.push(value);
  else {
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      lines.push(`${key}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    }
  }
  /** @type {HTMLElement} */ (document.getElementById('result')).textContent = lines.join('\n');
}

/**
 * With DPoP the login goes through `authFetch.login`, which sends the proof the server binds the
 * session to (and answers its nonce challenge).
 * @param {string} username @param {string} password @returns {Promise<import('../demo').LoginResult>}
 */
async function loginWithProof(username, password) {
  try {
    await authFetch.login('/auth/login', { body: JSON.stringify({ username, password }) });
    log('session', `logged in as ${username} (DPoP)`);
    return { ok: true, status: 200 };
  } catch (err) {
    const { status = 0, code } = /** @type {{ status?: number; code?: string }} */ (err);
    log('error', `login failed: ${status} ${code ?? ''}`);
    return { ok: false, status, error: code, errorName: errorNameOf(err) };
  }
}

/** @returns {Promise<import('../demo').LoginResult>} */
export async function login(username = 'alice', password = 'wonderland') {
  /** @type {import('../demo').LoginResult} */
  let result;
  if (dpop) {
    result = await loginWithProof(username, password);
    last.login = result;
    show(`POST /auth/login (${username}, DPoP)`, { ...result });
    render();
    return result;
  }
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
    result = { ok: false, status: 0, errorName: errorNameOf(err) };
  }
  last.login = result;
  show(`POST /auth/login (${username})`, { ...result });
  render();
  return result;
}

export async function me() {
  const result = await request('/api/me');
  last.me = result;
  show('GET /api/me', { status: result.status || result.errorName, body: result.body });
  return result;
}

let postSeq = 0;

/**
 * `key: null` leaves the Idempotency-Key to auth-fetch (it adds one to POSTs by itself).
 * @param {{ title?: string; key?: string | null }} [options]
 */
export async function createPost({ title, key } = {}) {
  const idempotencyKey = key === null ? null : (key ?? crypto.randomUUID());
  const replaysBefore = counts.replays;
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/json' };
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const result = await request('/api/posts', {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: title ?? `Post #${++postSeq} from tab ${tabId}`, body: 'Written by the auth-fetch playground.' }),
  });
  result.idempotencyKey = idempotencyKey;
  last.post = result;
  const post = /** @type {{ id?: string; title?: string; error?: string } | null} */ (result.body);
  show('POST /api/posts', {
    'Idempotency-Key': idempotencyKey ?? '(chosen by auth-fetch)',
    status: result.status || result.errorName,
    'sent again after a 401': counts.replays > replaysBefore ? 'yes, same key' : 'no',
    'Idempotent-Replayed': result.replayed ? "yes (answered from the key's record)" : 'no',
    post: post?.id ? `${post.id.slice(0, 8)}… “${post.title}”` : post?.error,
  });
  return result;
}

/** @returns {Promise<import('../demo').BurstSummary>} */
export async function burst(n = 50, path = '/api/me') {
  const before = { ...counts };
  const results = await waitBatch(start(n, path));
  /** @type {Record<string, number>} */
  const byOutcome = {};
  for (const r of results) bump(byOutcome, r.status ? String(r.status) : (r.errorName ?? 'Error'));
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

/**
 * Corrupts the signature, keeps exp: the client still trusts the token, the server does not. It
 * goes through setTokens, which hands the token to every tab: the label says "all tabs".
 */
export function expireNow() {
  const state = authFetch.getState();
  if (state.status !== 'authenticated') {
    show('Expire token in all tabs', 'Not logged in: nothing to expire.');
    return false;
  }
  const [header, payload, signature = ''] = state.accessToken.split('.');
  // A fixed prefix rather than a flipped character, so that doing it twice (here and in another
  // tab) cannot restore the original signature.
  const broken = `${header}.${payload}.${EXPIRED_MARK}${signature.slice(EXPIRED_MARK.length)}`;
  /** @type {{ accessToken: string; expiresIn?: number; tokenType: 'Bearer' | 'DPoP' }} */
  const tokens = { accessToken: broken, tokenType: state.tokenType };
  if (state.expiresAt) tokens.expiresIn = Math.max(1, Math.round((state.expiresAt - Date.now()) / 1000));
  authFetch.setTokens(tokens);
  log('info', 'access token invalidated in every tab (signature corrupted, exp unchanged)');
  show('Expire token in all tabs', 'The next call from any tab sends a token the server rejects with 401; auth-fetch refreshes once and replays it.');
  last.expire = true;
  return true;
}

/** @returns {Promise<import('../demo').LogoutResult>} */
export async function logout() {
  /** @type {import('../demo').LogoutResult} */
  let result;
  try {
    await authFetch.logout();
    result = { ok: true };
  } catch (err) {
    result = { ok: false, errorName: errorNameOf(err) };
  }
  last.logout = result;
  show('Log out', { ...result });
  render();
  return result;
}

/**
 * "Steal the token": the server replays this tab's token against /api/me as a thief would, as a
 * bearer token and as DPoP without this browser's key. With DPoP both are 401.
 * @returns {Promise<import('../demo').StealResult | null>}
 */
export async function steal() {
  const state = authFetch.getState();
  if (state.status !== 'authenticated') {
    show('Steal the token', 'Not logged in: nothing to steal.');
    return null;
  }
  const res = await fetch('/demo/steal', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ accessToken: state.accessToken }),
  });
  const result = /** @type {import('../demo').StealResult} */ (await readBody(res));
  /** @param {import('../demo').StolenAttempt} a */
  const line = (a) => `${a.status}${a.error ? ` ${a.error}` : ''}`;
  last.steal = result;
  show(`Stolen ${state.tokenType} token, replayed from the server`, {
    'as Bearer': line(result.asBearer),
    'as DPoP, without the key': line(result.asDpopWithoutProof),
    verdict: result.asBearer.status === 401 && result.asDpopWithoutProof.status === 401 ? 'useless without this browser\'s key' : 'works from anywhere until it expires',
  });
  log('info', `stolen token replayed: Bearer ${line(result.asBearer)}, DPoP without key ${line(result.asDpopWithoutProof)}`);
  return result;
}

export function openTab() {
  return window.open(location.href, '_blank') !== null;
}
