/**
 * `auth-fetch-tabs/dpop`: sender-constrained tokens (DPoP, RFC 9449) for `createAuthFetch`'s `dpop`
 * option. Every send gets a fresh proof signed by an ES256 key that cannot be exported and is shared
 * by the app's tabs (see dpop-key-store.ts); the server's nonces are kept per origin and a nonce
 * challenge asks the core for one resend. Proofs and thumbprints come from panva's `dpop` package.
 * @example
 * import { createAuthFetch } from 'auth-fetch-tabs';
 * import { createDpop } from 'auth-fetch-tabs/dpop';
 * const authFetch = createAuthFetch({ refresh: '/auth/refresh', dpop: createDpop() });
 */
import { calculateThumbprint, generateProof } from 'dpop';
import { createKeyStore } from './dpop-key-store.js';
import type { ProofTarget, RequestProof } from './types.js';

export interface DpopOptions {
  /**
   * The IndexedDB database that keeps the key, shared by the app's tabs, or `false` for a key in
   * this instance's memory only (a reload then makes a new key, and the session bound to the old one ends).
   * @default 'auth-fetch-tabs'
   * @example createDpop({ database: 'my-app' })
   */
  database?: string | false;
}

/** The `dpop` option's hook, and the key's thumbprint for display or for a server's `dpop_jkt`. */
export interface Dpop extends RequestProof {
  /** The key's JWK SHA-256 thumbprint (RFC 7638): the `cnf.jkt` of the tokens bound to it. */
  thumbprint(): Promise<string>;
}

const DEFAULT_DATABASE = 'auth-fetch-tabs';

function checkOptions(options: DpopOptions): string | false {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${String(options)}`);
  for (const name of Object.keys(options)) {
    if (name !== 'database') throw new TypeError(`unknown option \`${name}\``);
  }
  const { database = DEFAULT_DATABASE } = options;
  if (database !== false && (typeof database !== 'string' || database === '')) {
    throw new TypeError(`\`database\` must be a database name or false, got ${JSON.stringify(database)}`);
  }
  return database;
}

/** Browsers give WebCrypto only to secure contexts: without it no proof can be signed, so say it at once. */
function checkCrypto(): void {
  if (globalThis.isSecureContext === false) {
    throw new Error(`auth-fetch-tabs/dpop: DPoP needs a secure context (https:, or http://localhost) for WebCrypto; this page is ${globalThis.location?.origin ?? 'not one'}`);
  }
  if (typeof globalThis.crypto?.subtle?.sign !== 'function') {
    throw new Error('auth-fetch-tabs/dpop: DPoP needs WebCrypto (crypto.subtle), which this environment does not have');
  }
}

/** RFC 9449 §4.2: `htu` is the request URI without its query and fragment. */
function htuOf(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/**
 * Whether an answer asks for a proof with the server's nonce: a resource server's 401 with a DPoP
 * challenge `error="use_dpop_nonce"` (RFC 9449 §9), or a token endpoint's 400 `use_dpop_nonce` (§8).
 */
async function isNonceChallenge(response: Response): Promise<boolean> {
  if (response.status === 401) {
    return /\bDPoP\b.*\berror="use_dpop_nonce"/i.test(response.headers.get('www-authenticate') ?? '');
  }
  if (response.status !== 400) return false;
  const body: unknown = await response.clone().json().catch(() => undefined);
  return typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'use_dpop_nonce';
}

/**
 * A DPoP hook for `createAuthFetch({ dpop })`. Throws at once where WebCrypto is missing (a page that
 * is not a secure context): a session that could never present its token should not start.
 */
export function createDpop(options: DpopOptions = {}): Dpop {
  const database = checkOptions(options);
  checkCrypto();
  const keys = createKeyStore(database);
  // Told by createAuthFetch (`bind`); a hook used on its own has one key of its own.
  let app = 'default';
  /** The last `DPoP-Nonce` of each origin (RFC 9449 §8): a server may change it with any answer. */
  const nonces = new Map<string, string>();

  return {
    bind(name) {
      app = name;
    },
    async headers({ method, url, accessToken }: ProofTarget) {
      const proof = await generateProof(await keys.load(app), htuOf(url), method, nonces.get(new URL(url).origin), accessToken);
      return { dpop: proof };
    },
    async answered(response, { url }) {
      const nonce = response.headers.get('dpop-nonce');
      // Without a new nonce a resend would carry the same proof's claims and fail the same way.
      if (nonce === null) return false;
      nonces.set(new URL(url).origin, nonce);
      return isNonceChallenge(response);
    },
    async reset() {
      nonces.clear();
      await keys.forget(app);
    },
    async thumbprint() {
      return calculateThumbprint((await keys.load(app)).publicKey);
    },
  };
}
