// @ts-check
// The playground page: plain ES modules, no framework. This file wires them together: auth-fetch's
// events into the records, the log and the session card; the buttons to the actions; and
// `window.demo` (its contract: ../demo.d.ts), which the browser tests and the soak drive and read.
import { createPost, burst, expireNow, login, logout, me, openTab, steal } from './actions.js';
import { authFetch, dpop, options, tabId } from './client.js';
import { clearLog, describeEvent, describeReady, log } from './event-log.js';
import * as records from './records.js';
import { render, startExpiryClock } from './session-panel.js';

authFetch.on((event) => {
  records.recordEvent(event);
  // The status before the event's effect: a tab's message is worded by what it changes here.
  const line = describeEvent(event, authFetch.getState().status);
  if (line) log(...line);
  render();
});
authFetch.subscribe((state) => {
  records.recordState(state);
  render();
});

/** @param {string} id @param {() => unknown} action */
function onClick(id, action) {
  document.getElementById(id)?.addEventListener('click', () => {
    void action();
  });
}

document.getElementById('login')?.addEventListener('submit', (e) => {
  e.preventDefault();
  const form = new FormData(/** @type {HTMLFormElement} */ (e.currentTarget));
  void login(String(form.get('username')), String(form.get('password')));
});
onClick('btn-me', me);
onClick('btn-post', () => createPost());
onClick('btn-burst', () => burst());
onClick('btn-expire', expireNow);
onClick('btn-steal', steal);
onClick('btn-logout', logout);
onClick('btn-tab', openTab);
onClick('btn-clear', clearLog);

/** @type {HTMLElement} */ (document.getElementById('tab-id')).textContent = tabId;
clearLog();
render();
startExpiryClock();

/** @type {import('../demo').Demo} */
const demo = {
  tabId,
  options,
  authFetch,
  counts: records.counts,
  statuses: records.statuses,
  errorNames: records.errorNames,
  events: records.events,
  stateChanges: records.stateChanges,
  batches: records.batches,
  last: records.last,
  isReady: false,
  readyError: null,
  ready: Promise.resolve(),
  state: () => authFetch.getState(),
  status: () => authFetch.getState().status,
  snapshot: () => records.snapshot(tabId),
  request: records.request,
  start: records.start,
  waitBatch: records.waitBatch,
  waitIdle: records.waitIdle,
  login,
  me,
  createPost,
  burst,
  expireNow,
  logout,
  openTab,
  steal,
  thumbprint: () => (dpop ? dpop.thumbprint() : Promise.resolve(null)),
  reset: () => {
    records.reset();
    render();
  },
};
demo.ready = Promise.resolve(authFetch.ready)
  .catch((/** @type {unknown} */ err) => {
    demo.readyError = records.errorNameOf(err);
  })
  .then(() => {
    demo.isReady = true;
    log('session', describeReady(authFetch.getState().status));
    render();
  });
window.demo = demo;
