/**
 * Shared plumbing of the browser tests, the soak and the browser benchmark: Debian's Chromium
 * through playwright-core (never a downloaded browser), tabs of the playground page driven through
 * its `window.demo` hook, and a "foreign" loopback origin that counts the Authorization headers it
 * is sent (it must never see one).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
// The page's `window.demo` contract (it also declares `window.demo` for page.evaluate callbacks).
import type { DemoSnapshot, Status } from '../playground/public/demo';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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

export interface Tab {
  page: Page;
  /** Uncaught exceptions and console errors of the page, other than failed loads (a clean page has none). */
  errors: string[];
}

/** Collects the page's uncaught exceptions and console errors, other than failed loads, from now on. */
export function watchErrors(page: Page): Tab {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer as "Failed to load resource"; the 401s auth-fetch handles are expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  return { page, errors };
}

/** Opens the playground in a new tab of `context` and waits until its auth-fetch start-up settled. */
export async function openTab(context: BrowserContext, url: string): Promise<Tab> {
  const page = await context.newPage();
  const { errors } = watchErrors(page);
  await page.goto(url);
  await waitReady(page);
  return { page, errors };
}

export async function waitReady(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => window.demo?.isReady === true, undefined, { timeout, polling: 100 });
}

/** Waits (generously; a target, not an assertion) until the tab's session has `status`. */
export async function waitForStatus(page: Page, status: Status, timeout = 15_000): Promise<void> {
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
