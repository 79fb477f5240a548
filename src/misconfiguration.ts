/**
 * Development builds only: a refused or failed refresh that looks like a set-up mistake, not like
 * the end of a session, said once in the console of a page; otherwise it only shows as
 * "anonymous", and nobody knows why.
 */
import type { RefreshOutcome } from './refresh-call.js';

function likelyCause(outcome: RefreshOutcome, refreshUrl: URL | undefined, loggedIn: boolean): string | undefined {
  const page = globalThis.location?.origin;
  if (outcome.kind === 'rejected' && outcome.status === 403) {
    return `refresh refused with 403 ${outcome.code ?? ''}: does the server allow this page's Origin, ${page}? (A dev proxy passes the browser's Origin on.)`;
  }
  if (outcome.kind === 'rejected' && loggedIn) {
    return "the first refresh after a login was refused: the refresh cookie was not stored or not sent (a cross-site login needs credentials: 'include', the cookie SameSite=None; Secure).";
  }
  const crossOrigin = refreshUrl !== undefined && refreshUrl.origin !== page;
  if (outcome.kind === 'failed' && outcome.error.status === undefined && crossOrigin && outcome.error.cause instanceof TypeError) {
    return `no readable answer from ${refreshUrl.origin}: if it is up, CORS blocks it (it must allow ${page} with credentials).`;
  }
}

export interface MisconfigurationReport {
  /** A session was started in this page (a login): a refusal right after it means the cookie went missing. */
  loggedIn(): void;
  look(outcome: RefreshOutcome): void;
}

export function createMisconfigurationReport(refreshUrl: URL | undefined): MisconfigurationReport {
  let told = false;
  let loggedIn = false;
  return {
    loggedIn(): void {
      loggedIn = true;
    },
    look(outcome: RefreshOutcome): void {
      const cause = told || !globalThis.document ? undefined : likelyCause(outcome, refreshUrl, loggedIn);
      if (outcome.kind === 'ok') loggedIn = false;
      if (!cause) return;
      told = true;
      console.warn(`auth-fetch: ${cause} See README, Troubleshooting.`);
    },
  };
}
