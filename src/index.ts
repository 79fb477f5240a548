export { createAuthFetch } from './create-auth-fetch.js';
export type { AuthFetch, ProofTarget, RequestProof } from './types.js';
export type { Tokens } from './auth-calls.js';
export type { AuthFetchOptions, IdempotencyOptions, RefreshResult } from './options.js';
export type { AuthEvent, RefreshReason } from './events.js';
export type { Refusal } from './refresh-call.js';
export type { SessionState } from './session.js';
export type { Claims } from './token.js';
export {
  RefreshError,
  LoginError,
  LogoutError,
  SessionEndedError,
  isRefreshError,
  isLoginError,
  isLogoutError,
  isSessionEndedError,
  type SessionEndReason,
} from './errors.js';
