/**
 * The contract of `window.demo`, the playground page's test hook: what the page (js/*.js, checked
 * against this file by `tsc`) exposes, and what the browser tests, the soak and the benchmarks read.
 * Written once, here. Every button of the page is also a method, so tests drive and read the page
 * without scraping its text.
 */
import type { AuthEvent, AuthFetch, AuthFetchOptions, SessionState } from '/lib/index.js';

export type Status = SessionState['status'];

/** Running totals of this tab; `reset()` zeroes them (except `inFlight`). */
export interface DemoCounts {
  /** Calls made through authFetch by this page. */
  requests: number;
  inFlight: number;
  settled: number;
  /** 2xx answers. */
  ok: number;
  /** Non-2xx answers handed to the caller. */
  httpErrors: number;
  /** 401s the caller saw (rare with auth-fetch: only when really anonymous). */
  status401: number;
  /** Promises that rejected (see `errorNames`). */
  rejected: number;
  refreshStarts: number;
  /** `refresh:success` from the network: this tab called /auth/refresh. */
  refreshOwn: number;
  /** `refresh:success` with `source: 'tab'`: another tab's token. */
  refreshPeer: number;
  refreshErrors: number;
  replays: number;
  tabMessages: number;
  sessionStarts: number;
  sessionEnds: number;
  /** Transitions authenticated → anonymous. */
  becameAnonymous: number;
}

/** One request through authFetch, as plain data. `status` is 0 when the promise rejected. */
export interface DemoResult {
  method: string;
  url: string;
  ok: boolean;
  status: number;
  body?: unknown;
  replayed?: boolean;
  errorName?: string;
  errorMessage?: string;
  idempotencyKey?: string | null;
}

/** The session as the tests read it; `authFetch.getState()` fits it. */
export interface DemoState {
  status: Status;
  accessToken?: string;
  expiresAt?: number | undefined;
}

export interface DemoSnapshot {
  tabId: string;
  status: Status;
  counts: DemoCounts;
  statuses: Record<string, number>;
  errorNames: Record<string, number>;
}

/** Every auth-fetch event, timestamped, with errors reduced to their name and message. */
export interface DemoEvent {
  t: number;
  type: AuthEvent['type'];
  error?: { name: string; message: string } | undefined;
  [field: string]: unknown;
}

export interface Batch {
  total: number;
  done: number;
  results: DemoResult[];
  promise: Promise<DemoResult[]>;
}

export interface LoginResult {
  ok: boolean;
  status: number;
  error?: string | undefined;
  errorName?: string;
}

export interface LogoutResult {
  ok: boolean;
  errorName?: string;
}

export type BurstSummary = Record<string, string | number>;

/** What `/demo/steal` got when it replayed the token from the server side. */
export interface StolenAttempt {
  status: number;
  error?: string | undefined;
  wwwAuthenticate?: string | undefined;
}

export interface StealResult {
  asBearer: StolenAttempt;
  asDpopWithoutProof: StolenAttempt;
}

export interface Demo {
  tabId: string;
  options: AuthFetchOptions;
  authFetch: AuthFetch;
  counts: DemoCounts;
  statuses: Record<string, number>;
  errorNames: Record<string, number>;
  events: DemoEvent[];
  stateChanges: Array<{ t: number; status: Status }>;
  batches: Batch[];
  /** The last result of each action, by action name. */
  last: Record<string, unknown>;
  /** True once `authFetch.ready` settled. */
  isReady: boolean;
  readyError: string | null;
  ready: Promise<void>;
  state(): DemoState;
  status(): Status;
  snapshot(): DemoSnapshot;
  /** One request through authFetch; never rejects. */
  request(input: string, init?: RequestInit): Promise<DemoResult>;
  /** Fires `n` requests at once without waiting; returns the batch index for `waitBatch`. */
  start(n: number, input: string, init?: RequestInit): number;
  waitBatch(index: number): Promise<DemoResult[]>;
  waitIdle(): Promise<void>;
  login(username?: string, password?: string): Promise<LoginResult>;
  me(): Promise<DemoResult>;
  /** `key: null` leaves the Idempotency-Key to auth-fetch; no key: a fresh one chosen by the page. */
  createPost(options?: { title?: string; key?: string | null }): Promise<DemoResult>;
  burst(n?: number, path?: string): Promise<BurstSummary>;
  /** Corrupts the access token's signature, keeping its `exp`, in every tab (setTokens reaches them all). */
  expireNow(): boolean;
  logout(): Promise<LogoutResult>;
  openTab(): boolean;
  /** "Steal the token": the server replays it as Bearer and as DPoP without a proof; null when logged out. */
  steal(): Promise<StealResult | null>;
  /** The DPoP key's JWK thumbprint with `?dpop=1`, else null. */
  thumbprint(): Promise<string | null>;
  reset(): void;
}

declare global {
  interface Window {
    demo: Demo;
  }
}
