/**
 * Shared plumbing of the browser tests and the soak: Debian's Chromium through playwright-core (never
 * a downloaded browser), a fresh library build when `src/` is newer than `dist/`, tabs of the
 * playground page driven through its `window.demo` hook, and a "foreign" loopback origin that counts
 * the Authorization headers it is sent (it must never see one).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Without the networking flags Chromium stalls on a closed network (update checks, sync). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The playground serves `dist/index.js`. `npm test` builds it first; a direct
 * `vitest run --project browser` after editing `src/` would otherwise test a stale build.
 */
export function ensureLibraryBuilt(): void {
  const built = join(ROOT, 'dist/index.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** What `window.demo` (playground/public/app.js) exposes; only the parts the tests read. */
export interface DemoCounts {
  requests: number;
  inFlight: number;
  settled: number;
  ok: number;
  httpErrors: number;
  status401: number;
  rejected: number;
  refreshStarts: number;
  refreshOwn: number;
  refreshPeer: number;
  refreshErrors: number;
  replays: number;
  tabMessages: number;
  sessionStarts: number;
  sessionEnds: number;
  becameAnonymous: number;
}

export interface DemoResult {
  method: string;
  url: string;
  ok: boolean;
  status: number;
  body?: unknown;
  replayed?: boolean;
  errorName?: string;
  errorMessage?: string;
  idempotencyKey?: string;
}

export interface DemoState {
  status: 'unknown' | 'anonymous' | 'authenticated';
  accessToken?: string;
  expiresAt?: number;
}

export interface DemoSnapshot {
  tabId: string;
  status: DemoState['status'];
  counts: DemoCounts;
  statuses: Record<string, number>;
  errorNames: Record<string, number>;
}

export interface Demo {
  tabId: string;
  /** The page's auth-fetch instance (only the members the tests call). */
  authFetch: { refresh(): Promise<string> };
  isReady: boolean;
  readyError: string | null;
  ready: Promise<void>;
  counts: DemoCounts;
  events: Array<{ t: number; type: string; [key: string]: unknown }>;
  stateChanges: Array<{ t: number; status: DemoState['status'] }>;
  state(): DemoState;
  status(): DemoState['status'];
  snapshot(): DemoSnapshot;
  request(input: string, init?: RequestInit): Promise<DemoResult>;
  start(n: number, input: string, init?: RequestInit): number;
  waitBatch(index: number): Promise<DemoResult[]>;
  waitIdle(): Promise<void>;
  login(username?: string, password?: string): Promise<{ ok: boolean; status: number }>;
  me(): Promise<DemoResult>;
  createPost(options?: { title?: string; key?: string | null }): Promise<DemoResult>;
  burst(n?: number, path?: string): Promise<Record<string, unknown>>;
  expireNow(): boolean;
  logout(): Promise<{ ok: boolean; errorName?: string }>;
  reset(): void;
}

declare global {
  interface Window {
    demo: Demo;
  }
}

export interface Tab {
  page: Page;
  /** Uncaught exceptions and console errors of the page, other than failed loads (a clean page has none). */
  errors: string[];
}

/** Opens the playground in a new tab of `context` and waits until its auth-fetch start-up settled. */
export async function openTab(context: BrowserContext, url: string): Promise<Tab> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer as "Failed to load resource"; the 401s auth-fetch handles are expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  await page.goto(url);
  await waitReady(page);
  return { page, errors };
}

export async function waitReady(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => window.demo?.isReady === true, undefined, { timeout, polling: 100 });
}

/** Waits (generously; a target, not an assertion) until the tab's session has `status`. */
export async function waitForStatus(page: Page, status: DemoState['status'], timeout = 15_000): Promise<void> {
  await page.waitForFunction((s) => window.demo.status() === s, status, { timeout, polling: 50 });
}

export const snapshot = (page: Page): Promise<DemoSnapshot> => page.evaluate(() => window.demo.snapshot());

/** A loopback server on another port (a different origin) that records whether it was sent a bearer token. */
export interface ForeignServer {
  url: string;
  stats: { requests: number; preflights: number; authorizationHeaders: number; bearerTokens: number };
  close(): Promise<void>;
}

export async function startForeignServer(): Promise<ForeignServer> {
  const stats = { requests: 0, preflights: 0, authorizationHeaders: 0, bearerTokens: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    // CORS that would let a leaked token through: the page's origin may send Authorization, so a
    // library bug shows up here as a count instead of being masked by a failed preflight.
    const origin = req.headers.origin;
    if (origin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      stats.preflights++;
      res.writeHead(204).end();
      return;
    }
    stats.requests++;
    const authorization = req.headers.authorization;
    if (authorization !== undefined) stats.authorizationHeaders++;
    if (authorization?.toLowerCase().startsWith('bearer ')) stats.bearerTokens++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ foreign: true, sawAuthorization: authorization !== undefined }));
    });
  };
  const server = createServer(handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Server-side request count for "METHOD /path" in the playground's stats. */
export const served = (stats: { requests: Record<string, number> }, route: string): number => stats.requests[route] ?? 0;
