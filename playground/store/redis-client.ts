import { createClient, createCluster } from 'redis';

/**
 * The connection to Redis, one node or a Redis Cluster (node-redis's `createClient` or
 * `createCluster`), with the availability rules the store relies on: no offline queue (a command
 * fails at once while disconnected instead of piling up), a connect timeout, a first connection
 * that fails clearly instead of retrying, and reconnection forever afterwards.
 */

const CONNECT_TIMEOUT_MS = 2000;
const COMMAND_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 1000;

export class StoreConnectError extends Error {
  override name = 'StoreConnectError' as const;
}

export interface RedisConnectOptions {
  /**
   * Talk to a Redis Cluster: the URL names one or more of its nodes, comma-separated; the client
   * discovers the rest. @default false
   */
  cluster?: boolean;
  log?: (line: string) => void;
}

/** Shows where we tried to connect without printing a password. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

type SingleClient = ReturnType<typeof createClient>;
type ClusterClient = ReturnType<typeof createCluster>;
/**
 * The commands the store sends. A cluster client has the same methods, routed by their (first)
 * key; its types differ only in generics node-redis cannot unify, hence the one cast below.
 */
export type RedisCommands = Pick<SingleClient, 'get' | 'set' | 'del' | 'exists' | 'evalSha' | 'eval' | 'multi' | 'xRange' | 'hmGet'>;

function openClient(url: string, options: RedisConnectOptions, isConnected: () => boolean): SingleClient | ClusterClient {
  const settings = {
    disableOfflineQueue: true,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Before the first connection a failure is final (a clear error, not a hang);
      // afterwards we retry forever with a capped delay, so the server recovers by itself.
      reconnectStrategy: (retries: number) => (isConnected() ? Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) : false),
    },
  };
  if (!options.cluster) return createClient({ url, ...settings });
  const rootNodes = url.split(',').map((node) => ({ url: node.trim() }));
  return createCluster({ rootNodes, defaults: settings });
}

/** Connects or fails within CONNECT_TIMEOUT_MS, naming REDIS_URL; no retry loop at start-up. */
export async function connectRedis(
  url: string,
  options: RedisConnectOptions = {},
): Promise<{ client: RedisCommands; close(): Promise<void> }> {
  const log = options.log ?? (() => undefined);
  let connected = false;
  let client: SingleClient | ClusterClient;
  try {
    client = openClient(url, options, () => connected);
  } catch (error) {
    throw new StoreConnectError(`REDIS_URL ${redact(url)} is not a valid Redis URL: ${(error as Error).message}`);
  }
  let lastError = '';
  const onError = (error: Error): void => {
    // Without a listener node-redis errors would crash the process; log each new kind once.
    if (error.message !== lastError) log(`redis: ${error.message}`);
    lastError = error.message;
  };
  client.on('error', onError);
  client.on('node-error', onError);
  client.on('ready', () => {
    if (connected) log('redis: reconnected');
    lastError = '';
  });
  try {
    await client.connect();
    // A server that wants AUTH, or is still loading, answers PING with an error: fail now, clearly.
    // (A cluster client has already asked a node for the slot map, which fails the same way.)
    if (!options.cluster) await (client as SingleClient).ping();
  } catch (error) {
    client.destroy();
    throw new StoreConnectError(`cannot connect to REDIS_URL ${redact(url)}: ${(error as Error).message || String(error)}`);
  }
  connected = true;
  const close = async (): Promise<void> => {
    // A graceful QUIT needs a live connection; while reconnecting, just drop the socket.
    if (client.isReady) await client.close();
    else if (client.isOpen) client.destroy();
  };
  return { client: client as unknown as RedisCommands, close };
}
