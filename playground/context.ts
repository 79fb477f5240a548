import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedOptions } from './config.js';
import type { OriginPolicy } from './http/cors.js';
import type { ServerStats } from './stats.js';
import type { Store } from './store/store.js';
import type { TokenKit } from './auth/tokens.js';
import type { DpopVerifier } from './auth/dpop.js';
import type { HashingSlots } from './auth/hashing-slots.js';
import type { LoginLog } from './auth/login-log.js';

/** What every handler of one server instance shares; built once in `start()`, no module state. */
export interface ServerContext {
  options: ResolvedOptions;
  store: Store;
  stats: ServerStats;
  tokens: TokenKit;
  origins: OriginPolicy;
  /** DPoP proofs and nonces (RFC 9449), per the `dpop` option. */
  dpop: DpopVerifier;
  log: (line: string) => void;
  /** Bounds concurrent password hashing, so a login flood leaves the thread pool to other routes. */
  hashingSlots: HashingSlots;
  loginLog: LoginLog;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: ServerContext) => Promise<void>;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
