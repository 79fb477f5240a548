import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killRedis, launchRedis } from '../../harness/redis';

/**
 * A real, throwaway Redis Cluster: three masters (no replicas) on free loopback ports, joined with
 * `redis-cli --cluster create` (Debian's redis-tools; `scripts/system-deps.sh` installs it). Each
 * node gets its bus port explicitly (`--cluster-port`, Redis ≥ 7), so no port+10000 has to be free.
 * Every node started is killed on `stop()`, when the start fails half-way, and when the process
 * exits, so a failing test leaves no redis-server behind.
 */

export interface TestRedisCluster {
  /** `redis://127.0.0.1:<port>` of every master, for createCluster's rootNodes. */
  urls: string[];
  stop(): Promise<void>;
}

const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';
const MASTERS = 3;
const run = promisify(execFile);

async function cli(args: string[]): Promise<string> {
  try {
    return (await run(REDIS_CLI, args, { timeout: 20_000 })).stdout;
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string; code?: string };
    if (failure.code === 'ENOENT') throw new Error(`cannot run ${REDIS_CLI} (apt-get install redis-tools)`, { cause: error });
    throw new Error(`redis-cli ${args.join(' ')} failed: ${failure.message}\n${failure.stdout ?? ''}${failure.stderr ?? ''}`, { cause: error });
  }
}

/** `--cluster create` returns once the nodes agree on the slots; each node reports `ok` soon after. */
async function waitUntilServing(ports: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!(await cli(['-p', String(port), 'cluster', 'info'])).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error(`redis cluster node ${port} is not ok after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-fetch-redis-cluster-'));
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stop = async (): Promise<void> => {
    process.off('exit', killAll);
    await Promise.all(children.map(killRedis));
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const ports: number[] = [];
    for (let i = 0; i < MASTERS; i += 1) {
      const [port, busPort] = [await freePort(), await freePort()];
      ports.push(port);
      const config = [
        '--cluster-enabled', 'yes',
        '--cluster-port', String(busPort),
        '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '2000',
      ];
      children.push(await launchRedis(port, dir, config));
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    await cli(['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    await waitUntilServing(ports);
    return { urls: nodes.map((node) => `redis://${node}`), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
