// @ts-check
// The session card: status badge, the token's countdown, this tab's counters, and which controls
// a session enables (the calls, "Expire", "Log out") or the login form.
import { authFetch, dpop } from './client.js';
import { counts } from './records.js';

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Buttons that only make sense with a session: disabled while anonymous or still starting. */
const SESSION_BUTTONS = ['btn-me', 'btn-post', 'btn-burst', 'btn-expire', 'btn-steal', 'btn-logout'];

/** @param {string} token @returns {Record<string, unknown>} */
function claims(token) {
  try {
    const part = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

export function render() {
  const state = authFetch.getState();
  const signedIn = state.status === 'authenticated';
  const badge = byId('status');
  badge.dataset.status = state.status;
  const who = signedIn ? claims(state.accessToken) : {};
  const name = who.username ?? who.name ?? who.sub;
  badge.textContent = signedIn && typeof name === 'string' ? `authenticated · ${name}` : state.status;
  byId('login').hidden = signedIn;
  byId('demo-users').hidden = signedIn;
  byId('signed-in').hidden = !signedIn;
  for (const id of SESSION_BUTTONS) /** @type {HTMLButtonElement} */ (byId(id)).disabled = !signedIn;
  byId('refresh-own').textContent = String(counts.refreshOwn);
  byId('refresh-peer').textContent = String(counts.refreshPeer);
  byId('replays').textContent = String(counts.replays);
  byId('token-type').textContent = signedIn ? state.tokenType : '—';
  renderKey();
  renderExpiry();
}

/** The DPoP key's thumbprint (it changes after a logout): read from the key, shown once known. */
function renderKey() {
  byId('key-row').hidden = !dpop;
  if (!dpop) return;
  void dpop.thumbprint().then((jkt) => {
    byId('key-thumbprint').textContent = jkt;
  });
}

function renderExpiry() {
  const state = authFetch.getState();
  const el = byId('expiry');
  if (state.status !== 'authenticated' || !state.expiresAt) {
    el.textContent = '—';
    return;
  }
  const left = Math.round((state.expiresAt - Date.now()) / 1000);
  // auth-fetch has no timer: an idle tab keeps its expired token until the next call refreshes first.
  if (left <= 0) el.textContent = 'expired · next call refreshes';
  else el.textContent = left >= 60 ? `${Math.floor(left / 60)} min ${left % 60} s` : `${left} s`;
}

/** The countdown ticks once a second; nothing else on the page needs a timer. */
export function startExpiryClock() {
  setInterval(renderExpiry, 1000);
}
