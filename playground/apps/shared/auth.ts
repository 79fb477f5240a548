/// <reference types="vite/client" />
/**
 * The apps' one auth-fetch instance and their sign-in. Both apps import this file; it imports the
 * package by its name, so Vite resolves `auth-fetch-tabs` through package.json `exports` to dist/, as
 * an installed dependency would be (never to src/).
 */
import { createAuthFetch } from 'auth-fetch-tabs';

export const authFetch = createAuthFetch({ refresh: '/auth/refresh', logout: '/auth/logout' });

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
