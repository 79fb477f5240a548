/**
 * Which requests get the access token: the trust policy in one place. Origins are compared as
 * parsed URLs, never as strings (`https://api.test@evil.test/` starts with the trusted text).
 */
import type { Config } from './options.js';

export interface Origins {
  /** The refresh URL resolved against the page (undefined for a refresh function, or in Node for a relative URL). */
  refreshUrl: URL | undefined;
  logoutUrl: URL | undefined;
  /**
   * The URL of a request that goes to a trusted origin, or undefined for one that must go out
   * untouched: another origin, or our own refresh and logout calls (no bearer token on them,
   * and a 401 from them never triggers a refresh).
   */
  authenticated(url: string): URL | undefined;
}

export function createOrigins(config: Config): Origins {
  const page = globalThis.location?.href;
  const toUrl = (url: string | URL) => {
    try {
      return new URL(url, page);
    } catch {
      return undefined; // relative without a page (Node): fetch itself will say what is wrong
    }
  };
  const refreshUrl = typeof config.refresh === 'function' ? undefined : toUrl(config.refresh);
  const logoutUrl = config.logout === undefined ? undefined : toUrl(config.logout);
  const trusted = config.trustedOrigins ?? [page && new URL(page).origin, refreshUrl?.origin].filter(Boolean);
  const own = [refreshUrl, logoutUrl].map((u) => u && u.origin + u.pathname);
  return {
    refreshUrl,
    logoutUrl,
    authenticated(input) {
      const url = toUrl(input);
      return url && trusted.includes(url.origin) && !own.includes(url.origin + url.pathname) ? url : undefined;
    },
  };
}
