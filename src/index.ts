export { createAuthFetch, type AuthFetch } from './create-auth-fetch.js';
export type { AuthFetchOptions, IdempotencyOptions, RefreshResult } from './options.js';
export type { AuthEvent, RefreshReason, SessionState } from './session.js';
export {
  RefreshError,
  LogoutError,
  SessionEndedError,
  isRefreshError,
  isLogoutError,
  isSessionEndedError,
  type SessionEndReason,
} from './errors.js';
