/**
 * Coming back to a tab: when the page becomes visible again or the browser comes back online, the
 * session is checked then, so that the user's next click does not wait for a refresh. Only a visible
 * tab acts (the others adopt its token), and each trigger acts at most once per `THROTTLE_MS`: one
 * `visibilitychange` can fire in quick succession (better-auth PR #6110).
 */
const THROTTLE_MS = 5_000;

export type Return = 'visibilitychange' | 'online';

/** Calls `check` on return to the tab until `closing` aborts. Does nothing without `document` (SSR, workers). */
export function onReturn(check: (trigger: Return) => void, closing: AbortSignal): void {
  const doc = globalThis.document as Document | undefined;
  if (!doc || typeof globalThis.addEventListener !== 'function') return;
  const last: Record<Return, number> = { visibilitychange: -Infinity, online: -Infinity };
  const handle = (event: Event) => {
    const trigger = event.type as Return;
    if (doc.visibilityState !== 'visible' || Date.now() - last[trigger] < THROTTLE_MS) return;
    last[trigger] = Date.now();
    check(trigger);
  };
  doc.addEventListener('visibilitychange', handle, { signal: closing });
  globalThis.addEventListener('online', handle, { signal: closing });
}
