import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, throwaway redis-server (Debian's; `scripts/system-deps.sh` installs it) on a free
 * loopback port, without persistence. `stop()` kills it for good; `crash()` and `revive()` take
 * it down and up again on the same port; `pause()` and `resume()` stall it with the socket open.
 */

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills it (SIGKILL), as a crash would. */
  crash(): Promise<void>;
  /** Starts it again on the same port, empty, as a crash without persistence leaves it. */
  revive(): Promise<void>;
  /** Stops the process (SIGSTOP): connections stay open but nothing answers, as in a stall or partition. */
  pause(): void;
  /** Lets a paused process go on (SIGCONT); what was sent meanwhile is then executed. */
  resume(): void;
}

const REDIS_BIN = process.env.REDIS_SERVER ?? 'redis-server';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts redis-server and resolves once it accepts connections; `extra` are more config arguments. */
export function launchRedis(port: number, dir: string, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    REDIS_BIN,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'notice', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => reject(new Error(`cannot run ${REDIS_BIN} (apt-get install redis-server): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
}

export function killRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function startRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-fetch-redis-'));
  const port = await freePort();
  let child = await launchRedis(port, dir);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await killRedis(child);
      await rm(dir, { recursive: true, force: true });
    },
    async crash() {
      await killRedis(child);
    },
    async revive() {
      child = await launchRedis(port, dir);
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
  };
}
