/**
 * A refused or failed refresh that looks like a set-up mistake, not like the end of a session, said
 * once in the console of a page: otherwise it only shows as "anonymous", and nobody knows why.
 */
import type { RefreshOutcome } from './refresh-call.js';

const SEE = 'See "Troubleshooting" in auth-fetch\'s README.';

function likelyCause(outcome: RefreshOutcome, refreshUrl: URL | undefined, loggedIn: boolean): string | undefined {
  const page = globalThis.location?.origin;
  if (outcome.kind === 'rejected' && outcome.status === 403) {
    return `the refresh endpoint answered 403${outcome.code ? ` (${outcome.code})` : ''}: the server likely does not allow this page's Origin (${page}); a dev proxy passes the browser's Origin through unchanged.`;
  }
  if (outcome.kind === 'rejected' && loggedIn) {
    return `the first refresh after a login was refused (${outcome.status ?? 'refresh function'}): the refresh cookie was likely not stored or not sent (a cross-site API needs credentials: 'include' on the login and SameSite=None; Secure on the cookie).`;
  }
  const crossOrigin = refreshUrl !== undefined && refreshUrl.origin !== page;
  if (outcome.kind === 'failed' && outcome.error.status === undefined && crossOrigin && outcome.error.cause instanceof TypeError) {
    return `the refresh call to ${refreshUrl.origin} got no readable answer: if the server is up, CORS likely blocks it (it must answer this Origin with Access-Control-Allow-Origin and Access-Control-Allow-Credentials: true).`;
  }
}

/** Returns the function that looks at each refresh outcome; `login()` marks a session started in this page. */
export function createMisconfigurationReport(refreshUrl: URL | undefined) {
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
      console.warn(`auth-fetch: ${cause} ${SEE}`);
    },
  };
}
