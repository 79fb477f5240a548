// @ts-check
// The event log panel: auth-fetch's events in words, newest first, repeated lines folded into ×N.

/** @typedef {import('/lib/index.js').AuthEvent} AuthEvent */
/** @typedef {import('/lib/index.js').SessionState['status']} SessionStatus */
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
 * The other tabs' messages in words, for a tab whose session is `status` when it hears them. Each
 * says what the other tab did, not the message's name. Silent (undefined): an `end` heard by a tab
 * that already had no session changes nothing here, and in a tab that had one, the `session:end`
 * line that follows says it ("signed out: another tab …"). A `login` is either a sign-in (this tab
 * joins) or a new token for the session this tab shares (Expire in all tabs sends one).
 * @type {Record<string, (status: SessionStatus) => string | undefined>}
 */
const TAB_MESSAGES = {
  query: () => 'another tab asked which token this one holds',
  answer: () => 'another tab answered which token it holds',
  token: () => 'another tab got a new token from the server',
  login: (status) =>
    status === 'authenticated' ? 'another tab replaced the access token of this session' : 'another tab signed in: this tab joins its session',
  end: () => undefined,
  outage: () => "another tab's refresh failed: no tab tries again for a while",
  claim: () => 'another tab took its turn to refresh',
  release: () => 'another tab finished its turn to refresh',
  bye: () => 'another tab closed',
};

/** Why a refresh started, in words. @type {Record<string, string>} */
const REFRESH_REASONS = {
  startup: 'page opened: asking the server whether there is a session',
  proactive: 'the token is about to expire: refreshing it before the request',
  reactive: 'a request got 401: refreshing the token',
  manual: 'the app asked for a refresh',
};

/** Why the session ended, in words (`refused`: the server's answer to the refresh token). @type {Record<string, string>} */
const END_REASONS = {
  logout: 'signed out (Log out in this tab)',
  remote: 'signed out: another tab logged out, or the server refused its refresh token',
  rejected: 'signed out: the server refused the refresh token',
  disposed: 'signed out: this instance was disposed',
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
 * The log line for an auth-fetch event, in plain words, or undefined when it changes nothing
 * worth a line. `status` is this tab's session status when the event came.
 * @param {AuthEvent} event
 * @param {SessionStatus} status
 * @returns {[LogKind, string] | undefined}
 */
export function describeEvent(event, status) {
  switch (event.type) {
    case 'refresh:start':
      return ['refresh', REFRESH_REASONS[event.reason] ?? `refresh started (${event.reason})`];
    case 'refresh:success':
      return event.source === 'tab'
        ? ['tab', 'another tab shared its token: no refresh needed here']
        : ['refresh', 'new access token from the server'];
    case 'refresh:error':
      return ['error', `refresh failed: ${event.error.name}${event.error.message ? ` (${event.error.message})` : ''}`];
    case 'replay':
      return ['replay', `got 401, sent again with the new token: ${event.method} ${shortUrl(event.url)}`];
    case 'session:start':
      return ['session', 'signed in'];
    case 'session:end': {
      const refused = event.refused ? ` (${event.refused.status ?? ''} ${event.refused.code ?? ''})`.replace(/\s+\)/, ')') : '';
      return ['session', `${END_REASONS[event.reason] ?? `signed out (${event.reason})`}${refused}`];
    }
    case 'tab:message': {
      const words = TAB_MESSAGES[event.kind];
      if (!words) return ['tab', `another tab sent "${event.kind}"`];
      const text = words(status);
      return text === undefined ? undefined : ['tab', text];
    }
  }
  // An event type newer than this page.
  return ['info', /** @type {{ type: string }} */ (event).type];
}

/**
 * What start-up found, in words.
 * @param {SessionStatus} status
 */
export function describeReady(status) {
  if (status === 'authenticated') return 'ready: signed in';
  if (status === 'anonymous') return 'ready: not signed in';
  return 'ready: the server did not answer (the next request tries again)';
}
