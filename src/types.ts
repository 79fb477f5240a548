/** The public contract of the instance `createAuthFetch` returns. */
import type { Tokens } from './auth-calls.js';
import type { AuthEvent, SessionState } from './observable.js';

export interface AuthFetch {
  /** `fetch`, with the access token attached to trusted origins, refreshed and replayed as needed. */
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * POSTs a login (`init` as for fetch: body, headers…) with the configured `credentials`, checks the
   * answer, starts the session in every tab and resolves to the parsed body. Rejects with `LoginError`.
   */
  login(url: string | URL, init?: RequestInit): Promise<unknown>;
  /** Starts a session with the token your own login call returned (the refresh token is the server's cookie). */
  setTokens(tokens: Tokens): void;
  /** Forces a refresh (joining one already running, here or in another tab); resolves to the new access token. */
  refresh(): Promise<string>;
  /** Ends the session in every tab at once, aborts pending requests, then tells the server. */
  logout(): Promise<void>;
  /** Settles with the state once start-up knows it (from another tab, or one refresh). Never rejects. Outside a page, reading it starts start-up. */
  readonly ready: Promise<SessionState>;
  getState(): SessionState;
  /** Svelte-store contract: `fn` gets the state now and on every change. */
  subscribe(fn: (state: SessionState) => void): () => void;
  on(fn: (event: AuthEvent) => void): () => void;
  /** Closes the tab channel, releases its locks, timers and listeners, aborts pending requests; later calls and refreshes reject with `SessionEndedError('disposed')`. */
  dispose(): void;
}
