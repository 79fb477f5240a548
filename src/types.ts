/** The public contract of the instance `createAuthFetch` returns, and the proof-of-possession seam. */
import type { Tokens } from './auth-calls.js';
import type { AuthEvent } from './events.js';
import type { SessionState } from './session.js';

export interface AuthFetch {
  /**
   * `fetch`, same signature and result: the access token is attached to trusted origins only,
   * refreshed before it expires, and a 401 caused by an expired token is refreshed and replayed once.
   * Rejects with `SessionEndedError` when the session ends (a logout here or in another tab, a refused
   * refresh token) before the request was sent, and with `RefreshError` when a needed refresh failed.
   * @example const response = await authFetch('/api/me');
   */
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * POSTs a login (`init` as for fetch; a string body goes as JSON) with the configured
   * `credentials`, reads `{ accessToken, expiresIn? }`, starts the session in every tab and resolves
   * to the parsed body (typed as `T`: your server's answer). Rejects with `LoginError` (`status`,
   * the server's `code`; a network failure keeps its `cause`).
   * @example const { user } = await authFetch.login<{ user: User }>('/auth/login', { body: JSON.stringify(form) });
   */
  login<T = unknown>(url: string | URL, init?: RequestInit): Promise<T>;
  /** Starts a session with the token your own login call returned (the refresh token is the server's cookie). Throws a `TypeError` for a token that is not a bearer token. */
  setTokens(tokens: Tokens): void;
  /** Forces a refresh (joining one already running, here or in another tab); resolves to the new access token. Rejects with `RefreshError`, or `SessionEndedError('rejected')` when the refresh token was refused. */
  refresh(): Promise<string>;
  /**
   * Ends the session in every tab at once, aborts pending requests, then tells the server (the
   * `logout` URL, once). Rejects with `LogoutError` when the server could not be told: the session is
   * over here anyway, but the refresh cookie may still be valid.
   */
  logout(): Promise<void>;
  /** Settles with the state once start-up knows it (from another tab, or one refresh). Never rejects. Outside a page, reading it starts start-up. */
  readonly ready: Promise<SessionState>;
  /** The state now: `unknown` (start-up under way or the refresh endpoint unreachable), `anonymous` or `authenticated`. */
  getState(): SessionState;
  /** Svelte-store contract: `fn` gets the state now and on every change; returns the unsubscribe function. */
  subscribe(fn: (state: SessionState) => void): () => void;
  /** Calls `fn` with every event (`refresh:*`, `replay`, `session:*`, `tab:message`); returns the function that stops it. */
  on(fn: (event: AuthEvent) => void): () => void;
  /** Closes the tab channel, releases its locks, timers and listeners, aborts pending requests; later calls and refreshes reject with `SessionEndedError('disposed')`. */
  dispose(): void;
}

/** What a proof-of-possession hook learns of one send. */
export interface ProofTarget {
  /** The request's method, upper case. */
  method: string;
  /** The absolute URL the request goes to (query and fragment included: strip them for DPoP's `htu`). */
  url: string;
  /** The access token the send presents (for DPoP's `ath`); undefined on login, refresh and logout calls. */
  accessToken?: string | undefined;
}

/**
 * A hook for sender-constrained tokens (DPoP, RFC 9449), given as the `dpop` option: `auth-fetch-tabs/dpop`'s
 * `createDpop()` makes one. The core calls it for every request it sends with a token (API requests,
 * their replays) and for every login, refresh and logout call; it never knows any cryptography.
 */
export interface RequestProof {
  /**
   * Told once, by `createAuthFetch`: the name of the app's scope (the tab channel's), so that every
   * tab of the app shares what the hook keeps (a key in IndexedDB).
   */
  bind?(app: string): void;
  /** Headers for this send (a fresh proof each time: the first send, a replay, a resend). */
  headers(target: ProofTarget): Promise<Record<string, string>>;
  /**
   * Sees every answer to a send it made headers for (it may keep a server nonce). Resolves `true` to
   * ask for one resend of the same request with fresh headers: not a refresh, not the replay after a
   * 401. Must not read the body (clone the response to look at it).
   */
  answered(response: Response, target: ProofTarget): Promise<boolean>;
  /** After `logout()`: forget the key, so that the next session cannot be linked to this one. */
  reset?(): Promise<void>;
}
