/**
 * Which requests get the access token: the trust policy in one place. Origins are compared as
 * parsed URLs, never as strings (`https://api.test@evil.test/` starts with the trusted text).
 */
import type { Config } from './options.js';

export interface Origins {
  /** The refresh URL resolved as fetch will (undefined for a refresh function, or in Node for a relative URL). */
  refreshUrl: URL | undefined;
  logoutUrl: URL | undefined;
  /** The origins that may see the token. */
  trusted: readonly string[];
  /** Resolves a URL exactly as `fetch` will; undefined when it cannot (a relative URL in Node). */
  resolve(url: string | URL): URL | undefined;
  /**
   * The URL of a request that goes to a trusted origin, or undefined for one that must go out
   * untouched: another origin, or our own refresh and logout calls (no bearer token on them,
   * and a 401 from them never triggers a refresh).
   */
  authenticated(url: string): URL | undefined;
}

/**
 * What `fetch` resolves relative URLs against: the document's base URL, which `<base href>` changes
 * (legitimate, or injected as plain HTML), else the worker's location.
 */
const baseUrl = (): string | undefined => globalThis.document?.baseURI ?? globalThis.location?.href;

export function createOrigins(config: Config): Origins {
  const resolve = (url: string | URL) => {
    try {
      return new URL(url, baseUrl());
    } catch {
      return undefined; // relative without a page (Node): fetch itself will say what is wrong
    }
  };
  const refreshUrl = typeof config.refresh === 'function' ? undefined : resolve(config.refresh);
  const logoutUrl = config.logout === undefined ? undefined : resolve(config.logout);
  const page = globalThis.location?.origin;
  const trusted = config.trustedOrigins ?? [page, refreshUrl?.origin].filter((o): o is string => !!o && o !== 'null');
  const own = [refreshUrl, logoutUrl].map((u) => u && u.origin + u.pathname);
  return {
    refreshUrl,
    logoutUrl,
    trusted,
    resolve,
    authenticated(input) {
      const url = resolve(input);
      // Read once: each read of a URL's parts builds a new string (most of this check's time in a browser).
      const origin = url?.origin;
      return url && trusted.includes(origin!) && !own.includes(origin + url.pathname) ? url : undefined;
    },
  };
}
