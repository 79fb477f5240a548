import { browser } from '$app/environment';
import { readable } from 'svelte/store';
import type { SessionState } from 'auth-fetch-tabs';
import { getAuthFetch } from './auth';

/**
 * The session state for components: the instance's own store in the browser; on the server, where
 * there is no instance, `unknown` (the page renders its shell and the browser fills it in).
 */
export const session = readable<SessionState>({ status: 'unknown' }, (set) => (browser ? getAuthFetch().subscribe(set) : undefined));
