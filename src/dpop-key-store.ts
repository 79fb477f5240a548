/**
 * Where `auth-fetch-tabs/dpop` keeps its key pair: IndexedDB, one record per app, shared by every tab
 * of the app (a token one tab obtained must be presented with proofs of the same key in every tab).
 * A `CryptoKey` survives structured cloning into IndexedDB and stays non-extractable there.
 * Outside a page without IndexedDB (SSR, Node, some workers) the key lives in memory; if IndexedDB
 * fails (private mode, quota), the key lives in memory too, after one console warning.
 */

export interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface KeyStore {
  /** The app's key pair: the stored one, or a new one stored for every tab (only one tab's wins). */
  load(app: string): Promise<KeyPair>;
  /** Deletes the app's key pair, here and in every tab of the app, so that the next `load` makes a new one. */
  forget(app: string): Promise<void>;
}

const OBJECT_STORE = 'keys';

/** ES256 (RFC 7518 §3.4): ECDSA on P-256; the private key cannot be exported, the public one always can. */
export const generateKeyPair = (): Promise<KeyPair> =>
  crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);

/** An IDBRequest as a promise (a transaction stays open while its requests' callbacks chain). */
function settled<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const request = factory.open(name, 1);
  request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE);
  return settled(request);
}

/** The key stored under `app`, adding `candidate` if there is none: `add` fails for every tab but the first. */
async function storedOrAdded(db: IDBDatabase, app: string, candidate: KeyPair): Promise<KeyPair> {
  try {
    await settled(db.transaction(OBJECT_STORE, 'readwrite').objectStore(OBJECT_STORE).add(candidate, app));
    return candidate;
  } catch (error) {
    if ((error as DOMException).name !== 'ConstraintError') throw error;
    // Another tab added its key first: everyone signs with that one.
    const winner = await settled(db.transaction(OBJECT_STORE).objectStore(OBJECT_STORE).get(app) as IDBRequest<KeyPair | undefined>);
    if (!winner) throw error;
    return winner;
  }
}

/** Keys in memory only: one per app, for this instance. */
function memoryKeys(): KeyStore {
  const keys = new Map<string, Promise<KeyPair>>();
  return {
    load(app) {
      let key = keys.get(app);
      if (!key) {
        key = generateKeyPair();
        keys.set(app, key);
      }
      return key;
    },
    async forget(app) {
      keys.delete(app);
    },
  };
}

/**
 * Keys in IndexedDB database `database`, cached per app in this tab. A tab that forgets a key tells
 * the others on a BroadcastChannel, so that none keeps signing with the old one from its cache.
 */
export function createKeyStore(database: string | false): KeyStore {
  const memory = memoryKeys();
  const found = globalThis.indexedDB as IDBFactory | undefined;
  if (!found || database === false) return memory;
  // Narrowed copies: TypeScript does not carry the checks above into the closures below.
  const factory: IDBFactory = found;
  const name: string = database;
  let db: Promise<IDBDatabase> | undefined;
  let failed = false;
  const cache = new Map<string, Promise<KeyPair>>();
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`auth-fetch-dpop:${name}`) : undefined;
  channel?.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (typeof event.data === 'string') cache.delete(event.data);
  });

  /** Where IndexedDB fails, the key lives in memory: one warning, not one per call. */
  function fallBack(error: unknown): KeyStore {
    if (!failed) console.warn(`auth-fetch-tabs/dpop: IndexedDB is unavailable (${String(error)}); the DPoP key lives in this tab's memory only`);
    failed = true;
    return memory;
  }

  async function loadStored(app: string): Promise<KeyPair> {
    db ??= openDatabase(factory, name);
    const opened = await db;
    const stored = await settled(opened.transaction(OBJECT_STORE).objectStore(OBJECT_STORE).get(app) as IDBRequest<KeyPair | undefined>);
    return stored ?? storedOrAdded(opened, app, await generateKeyPair());
  }

  return {
    load(app) {
      let key = cache.get(app);
      if (!key) {
        key = loadStored(app).catch((error: unknown) => fallBack(error).load(app));
        cache.set(app, key);
      }
      return key;
    },
    async forget(app) {
      cache.delete(app);
      await memory.forget(app);
      channel?.postMessage(app);
      try {
        db ??= openDatabase(factory, name);
        await settled((await db).transaction(OBJECT_STORE, 'readwrite').objectStore(OBJECT_STORE).delete(app));
      } catch (error) {
        fallBack(error);
      }
    },
  };
}
