// @ts-check
// The event log panel: auth-fetch's events in words, newest first, repeated lines folded into ×N.

/** @typedef {import('/lib/index.js').AuthEvent} AuthEvent */
/** @typedef {'refresh' | 'replay' | 'tab' | 'session' | 'error' | 'info'} LogKind */

const LOG_CAP = 200;

function list() {
  return /** @type {HTMLOListElement} */ (document.getElementById('log'));
}

function clock(date = new Date()) {
  return date.toTimeString().slice(0, 8);
}

/**
 * Appends a line. A line equal to one of the newest few bumps that line's ×N and moves it to the
 * top instead, so that a burst of 50 replays interleaved with tab messages stays readable.
 * @param {LogKind} kind
 * @param {string} text
 */
export function log(kind, text) {
  const logList = list();
  const recent = [...logList.children].slice(0, 4).find((li) => li instanceof HTMLElement && li.dataset.text === text);
  if (recent instanceof HTMLElement) {
    const n = Number(recent.dataset.n) + 1;
    recent.dataset.n = String(n);
    recent.querySelector('span')?.replaceChildren(`${text}  ×${n}`);
    recent.querySelector('time')?.replaceChildren(clock());
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
  while (logList.children.length > LOG_CAP) logList.lastElementChild?.remove();
}

export function clearLog() {
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = 'Events appear here: refreshes, replays, messages from other tabs, logouts.';
  list().replaceChildren(li);
}

/**
 * Channel messages in words. A `token` message may be an answer to a query, a new token, or a
 * released claim with no token at all, so it is not worded as "shared its token": that line is
 * logged when this tab actually took another tab's token (`refresh:success` from a tab).
 * @type {Record<string, string>}
 */
const TAB_MESSAGES = {
  query: 'another tab asked for the current token',
  token: 'channel message from another tab: token',
  end: 'another tab ended the session',
  claim: 'another tab claimed the refresh',
  bye: 'another tab closed',
};

/** @param {string} url */
function shortUrl(url) {
  try {
    const u = new URL(url, location.href);
    return u.origin === location.origin ? u.pathname + u.search : u.href;
  } catch {
    return String(url);
  }
}

/**
 * The log line for an auth-fetch event.
 * @param {AuthEvent} event
 * @returns {[LogKind, string]}
 */
export function describeEvent(event) {
  switch (event.type) {
    case 'refresh:start':
      return ['refresh', `refresh started (${event.reason})`];
    case 'refresh:success':
      return event.source === 'tab'
        ? ['tab', 'another tab shared its token: no refresh needed here']
        : ['refresh', 'refresh finished: new token from the server'];
    case 'refresh:error':
      return ['error', `refresh failed: ${event.error.name}${event.error.message ? ` (${event.error.message})` : ''}`];
    case 'replay':
      return ['replay', `401 → replayed ${event.method} ${shortUrl(event.url)}`];
    case 'session:start':
      return ['session', 'session started'];
    case 'session:end':
      return ['session', `session ended (${event.reason})`];
    case 'tab:message':
      return ['tab', TAB_MESSAGES[event.kind] ?? `channel message from another tab: ${event.kind}`];
  }
  // An event type newer than this page.
  return ['info', /** @type {{ type: string }} */ (event).type];
}
