/**
 * `keepFresh`: while a tab of the app is visible, its token is refreshed on a timer as it enters
 * its leeway window, so that a page showing the expiry or the claims never shows a stale state.
 * Every tab sets the timer; only a visible one refreshes (through the lock: one refresh for all,
 * the others adopt its token). While every tab is hidden, none refreshes; the first to become
 * visible again refreshes then (visibility.ts).
 */
import { MAX_DELAY } from './options.js';
import type { Session } from './session.js';

export function keepFresh(session: Session, refresh: () => void, closing: AbortSignal): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const visible = () => globalThis.document?.visibilityState !== 'hidden';
  const arm = () => {
    clearTimeout(timer);
    const due = session.refreshDueAt();
    if (due === undefined || closing.aborted) return;
    timer = setTimeout(() => {
      if (visible()) refresh();
    }, Math.min(Math.max(due - Date.now(), 0), MAX_DELAY));
  };
  const stop = session.subscribe(arm);
  closing.addEventListener('abort', () => {
    stop();
    clearTimeout(timer);
  });
}
