/// <reference types="vite/client" />
/**
 * The apps' one auth-fetch instance and their sign-in. Both apps import this file; it imports the
 * package by its name, so Vite resolves `auth-fetch-tabs` through package.json `exports` to dist/, as
 * an installed dependency would be (never to src/).
 */
import { createAuthFetch } from 'auth-fetch-tabs';

// `sessionHint`: the reference server's readable `auth_hint` cookie says a refresh cookie may exist;
// without it start-up settles `anonymous` with no refresh call, so an anonymous load logs no 401.
export const authFetch = createAuthFetch({ refresh: '/auth/refresh', logout: '/auth/logout', sessionHint: 'auth_hint' });

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

/** An answer as the apps show it: the status, then the body as indented JSON. */
export const showAnswer = (answer: Answer): string => `${answer.status} ${JSON.stringify(answer.body, null, 2)}`;
