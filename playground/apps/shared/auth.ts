/// <reference types="vite/client" />
/**
 * The apps' one auth-fetch instance and their sign-in. Both apps import this file; it imports the
 * package by its name, so Vite resolves `auth-fetch-tabs` through package.json `exports` to dist/, as
 * an installed dependency would be (never to src/).
 */
import { createAuthFetch, type AuthFetchOptions } from 'auth-fetch-tabs';
import type { Dpop } from 'auth-fetch-tabs/dpop';

// `sessionHint`: the reference server's readable `auth_hint` cookie says a refresh cookie may exist;
// without it start-up settles `anonymous` with no refresh call, so an anonymous load logs no 401.
const options: AuthFetchOptions = { refresh: '/auth/refresh', logout: '/auth/logout', sessionHint: 'auth_hint' };

/**
 * With `?dpop=1` in the page's URL, the session is bound to a key of this browser (RFC 9449), as on
 * the demo page: auth-fetch-tabs/dpop and panva's `dpop` are loaded only then, in a chunk of their
 * own (top-level await: Vite's default build target, baseline-widely-available, has it).
 */
export const dpop: Dpop | undefined =
  new URLSearchParams(location.search).get('dpop') === '1' ? (await import('auth-fetch-tabs/dpop')).createDpop() : undefined;
if (dpop) options.dpop = dpop;

/**
 * "Open another tab" opens the app as this tab was opened: the tabs of one session share one key,
 * so a tab without it could not present their DPoP token.
 */
export const sameMode = (path: string): string => (dpop ? `${path}?dpop=1` : path);

export const authFetch = createAuthFetch(options);

// A hot update replaces this module with a new instance: the old one must leave no channel, lock
// or timer behind, or the page would hold two sessions until it reloads.
import.meta.hot?.dispose(() => authFetch.dispose());

/**
 * POSTs the credentials with `credentials: 'include'` (the server sets the HttpOnly refresh cookie
 * and answers `{ accessToken, expiresIn }`); `login` starts the session in every tab. Rejects with
 * `LoginError` (`status`, `code`).
 */
export async function signIn(username: string, password: string): Promise<void> {
  await authFetch.login('/auth/login', { body: JSON.stringify({ username, password }) });
}

/** The calls both apps make, with the answer's status and body for display. */
export interface Answer {
  status: number;
  body: unknown;
}

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, body: await response.json().catch(() => null) };
}

export const loadMe = (): Promise<Answer> => authFetch('/api/me').then(answer);

export const createPost = (title: string): Promise<Answer> =>
  authFetch('/api/posts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  }).then(answer);

const EXPIRED_MARK = 'EXPIRED0';

/**
 * The demo page's "Expire" (playground/public/js/actions.js): corrupts the access token's signature
 * and keeps its `exp`, so the client still trusts it and the server answers the next call with 401,
 * which costs one refresh instead of waiting out the token's lifetime. `setTokens` hands it to every
 * tab. Returns false when there is no token to expire.
 */
export function expireToken(): boolean {
  const state = authFetch.getState();
  if (state.status !== 'authenticated') return false;
  const [header, payload, signature = ''] = state.accessToken.split('.');
  // A fixed prefix rather than a flipped character: doing it twice cannot restore the signature.
  const broken = `${header}.${payload}.${EXPIRED_MARK}${signature.slice(EXPIRED_MARK.length)}`;
  authFetch.setTokens({ accessToken: broken }); // its JWT `exp` is unchanged: still trusted here
  return true;
}

/** One replay of the stolen token by the server (playground/demo/steal.ts). */
export interface StolenAttempt {
  status: number;
  error?: string | undefined;
}

/** What `/demo/steal` got: the token replayed against `/api/me` as `Bearer`, and as `DPoP` without a proof. */
export interface Theft {
  tokenType: 'Bearer' | 'DPoP';
  asBearer: StolenAttempt;
  asDpopWithoutProof: StolenAttempt;
}

/**
 * The demo page's "Steal the token" (playground/public/js/actions.js): the server plays the thief
 * and replays the token from its side, where this browser's key is not. A plain `fetch`, not
 * `authFetch`: the token goes in the body, to this page's own server only. Null when signed out.
 */
export async function stealToken(): Promise<Theft | null> {
  const state = authFetch.getState();
  if (state.status !== 'authenticated') return null;
  const response = await fetch('/demo/steal', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accessToken: state.accessToken }),
  });
  if (!response.ok) throw new Error(`/demo/steal answered ${response.status}`);
  const attempts = (await response.json()) as Omit<Theft, 'tokenType'>;
  return { tokenType: state.tokenType, ...attempts };
}

const showAttempt = (attempt: StolenAttempt): string => `${attempt.status}${attempt.error ? ` ${attempt.error}` : ''}`;

/** A theft as the apps show it: one line for each replay, then what it means. */
export function showTheft(theft: Theft): string {
  const refused = theft.asBearer.status === 401 && theft.asDpopWithoutProof.status === 401;
  return [
    `Stolen ${theft.tokenType} token, replayed from the server`,
    `as Bearer: ${showAttempt(theft.asBearer)}`,
    `as DPoP, without the key: ${showAttempt(theft.asDpopWithoutProof)}`,
    refused ? "Useless without this browser's key." : 'Works from anywhere until it expires.',
  ].join('\n');
}

/** An answer as the apps show it: the status, then the body as indented JSON. */
export const showAnswer = (answer: Answer): string => `${answer.status} ${JSON.stringify(answer.body, null, 2)}`;
