// @ts-check
// The page's one auth-fetch instance. The query string may override the tunables (tests, soak):
// `leewayMs`, `peerTimeoutMs`, `refreshTimeoutMs`, `keepFresh=1`, and `channel` (a name, or `false` for none);
// `dpop=1` binds the session to a key of this browser (auth-fetch-tabs/dpop, loaded only then).
import { createAuthFetch } from '/lib/index.js';

const params = new URLSearchParams(location.search);

/** @type {import('/lib/index.js').AuthFetchOptions} */
export const options = { refresh: '/auth/refresh', logout: '/auth/logout' };
const channel = params.get('channel');
if (channel !== null) options.channel = channel === 'false' ? false : channel;
const leewayMs = params.get('leewayMs');
if (leewayMs !== null) options.leewayMs = Number(leewayMs);
const peerTimeoutMs = params.get('peerTimeoutMs');
if (peerTimeoutMs !== null) options.peerTimeoutMs = Number(peerTimeoutMs);
const refreshTimeoutMs = params.get('refreshTimeoutMs');
if (refreshTimeoutMs !== null) options.refreshTimeoutMs = Number(refreshTimeoutMs);
if (params.get('keepFresh') === '1') options.keepFresh = true;

/** The DPoP hook with `?dpop=1`, else undefined. */
export const dpop = params.get('dpop') === '1' ? (await import('/lib/dpop.js')).createDpop() : undefined;
if (dpop) options.dpop = dpop;

export const authFetch = createAuthFetch(options);

/** Names this tab in the other tabs' logs and in the soak's figures. */
export const tabId = Math.random().toString(36).slice(2, 6);
