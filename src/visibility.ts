/**
 * Coming back to a tab: when the page becomes visible again or the browser comes back online, the
 * session is checked then, so that the user's next click does not wait for a refresh. Only a visible
 * tab acts (the others adopt its token), and each trigger acts at most once per `THROTTLE_MS`: one
 * `visibilitychange` can fire in quick succession (better-auth PR #6110).
 */
const THROTTLE_MS = 5_000;

/** Calls `check` on return to the tab; returns the undo. Does nothing without `document` (SSR, workers). */
export function onReturn(check: () => void): () => void {
  const doc = globalThis.document as Document | undefined;
  if (!doc || typeof globalThis.addEventListener !== 'function') return () => {};
  const last = { visibilitychange: -Infinity, online: -Infinity };
  const handle = (event: Event) => {
    const trigger = event.type as keyof typeof last;
    if (doc.visibilityState !== 'visible' || Date.now() - last[trigger] < THROTTLE_MS) return;
    last[trigger] = Date.now();
    check();
  };
  doc.addEventListener('visibilitychange', handle);
  globalThis.addEventListener('online', handle);
  return () => {
    doc.removeEventListener('visibilitychange', handle);
    globalThis.removeEventListener('online', handle);
  };
}
