/**
 * Chaos soak: `npm run soak`. Five tabs of one Chromium context run the playground page against the
 * reference server with a short access-token lifetime and a flaky refresh endpoint, and call a
 * "foreign" loopback origin too. Every tab makes a few requests a second (GETs, POSTs with keys,
 * foreign GETs) for SOAK_SECONDS, then the figures are printed. The exit code is non-zero when any
 * figure that must be zero is not: user-visible 401s, duplicate POST effects, refresh tokens
 * presented twice, bearer tokens seen by the foreign origin, unexpected `anonymous` states, and
 * requests still hanging 30 s after the calls stopped.
 *
 * Environment (all optional):
 *   SOAK_SECONDS=30        how long the tabs keep calling
 *   SOAK_FAULTS=1          refresh fault injection on (503s, dropped connections, slow answers); 0 turns it off
 *   SOAK_FAULT_RATE=0.3    fraction of /auth/refresh calls that fail on purpose when faults are on
 *   SOAK_ACCESS_TTL=5      access-token lifetime in seconds
 *   SOAK_LEEWAY_MS=1500    auth-fetch's proactive-refresh leeway
 *   SOAK_RELOAD_EVERY=5    in the second half, one tab (not the first) is reloaded about this often,
 *                          in seconds, and must come back authenticated from the others; 0 turns it off
 *   SOAK_TABS=5            tabs in the one browser context
 *   SOAK_RATE=3            requests per second per tab (on average)
 *   SOAK_EXPIRE_EVERY=8    in the second half of the run, each tab corrupts the token ("Expire in all tabs")
 *                          about this often, in seconds, so that 401s and replays happen too; 0 turns
 *                          it off. The first half measures proactive refreshing undisturbed.
 *   SOAK_JSON=path         also write the figures as JSON there
 */
import { writeFileSync } from 'node:fs';
import { start } from '../playground/server';
import { buildIfStale } from './build';
import type { Page } from 'playwright-core';
import {
  launchChromium,
  openTab,
  snapshot,
  startForeignServer,
  waitForStatus,
  waitReady,
} from '../harness/browser';
import type { DemoResult, DemoSnapshot } from '../playground/public/demo';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got ${JSON.stringify(raw)}`);
  return value;
}

const SECONDS = numberFromEnv('SOAK_SECONDS', 30);
const FAULTS = process.env.SOAK_FAULTS !== '0';
const FAULT_RATE = numberFromEnv('SOAK_FAULT_RATE', 0.3);
const ACCESS_TTL = Math.max(2, Math.round(numberFromEnv('SOAK_ACCESS_TTL', 5)));
const LEEWAY_MS = numberFromEnv('SOAK_LEEWAY_MS', 1500);
const TABS = Math.max(1, Math.round(numberFromEnv('SOAK_TABS', 5)));
const RATE = Math.max(0.1, numberFromEnv('SOAK_RATE', 3));
const EXPIRE_EVERY = numberFromEnv('SOAK_EXPIRE_EVERY', 8);
const RELOAD_EVERY = numberFromEnv('SOAK_RELOAD_EVERY', 5);
/** After the calls stop, how long requests still in flight may take to settle. */
const DRAIN_MS = 30_000;

interface SoakRecord {
  expiries: number;
  titles: string[];
  posts: Array<{ title: string; status: number; replayed: boolean | undefined; errorName: string | undefined }>;
}

declare global {
  interface Window {
    soak?: { stop: boolean; pending: Set<Promise<unknown>>; record: SoakRecord };
  }
}

/** Runs inside each tab: a jittered loop of requests through window.demo until `soak.stop`. */
function drive({ rate, foreign, tab, expireEvery, expireAfterMs }: {
  rate: number;
  foreign: string;
  tab: number;
  expireEvery: number;
  expireAfterMs: number;
}): void {
  const expireFrom = Date.now() + expireAfterMs;
  const record: SoakRecord = { expiries: 0, titles: [], posts: [] };
  const soak = { stop: false, pending: new Set<Promise<unknown>>(), record };
  window.soak = soak;
  let n = 0;
  const tick = (): void => {
    if (soak.stop) return;
    if (expireEvery > 0 && Date.now() >= expireFrom && Math.random() < 1 / (rate * expireEvery) && window.demo.expireNow()) {
      record.expiries++;
    }
    const dice = Math.random();
    let call: Promise<unknown>;
    if (dice < 0.45) call = window.demo.request('/api/me');
    else if (dice < 0.6) call = window.demo.request('/api/posts');
    else if (dice < 0.85) {
      const key = crypto.randomUUID();
      const title = `soak tab ${tab} #${++n} ${key}`;
      record.titles.push(title);
      call = window.demo.createPost({ title, key }).then((r) => {
        record.posts.push({ title, status: r.status, replayed: r.replayed, errorName: r.errorName });
      });
    } else call = window.demo.request(`${foreign}/soak`);
    soak.pending.add(call);
    void call.finally(() => soak.pending.delete(call));
    setTimeout(tick, (1000 / rate) * (0.5 + Math.random()));
  };
  tick();
}

/** refresh:start events of one tab, by reason. */
function refreshReasons(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const by: Record<string, number> = {};
    for (const e of window.demo.events) if (e.type === 'refresh:start') by[String(e.reason)] = (by[String(e.reason)] ?? 0) + 1;
    return by;
  });
}

function add(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
  return into;
}

async function main(): Promise<number> {
  buildIfStale();
  const foreign = await startForeignServer();
  const server = await start({
    port: 0,
    accessTtl: ACCESS_TTL,
    refreshFaultRate: FAULTS ? FAULT_RATE : 0,
  });
  const browser = await launchChromium();
  const log = (line: string) => console.log(`soak: ${line}`);
  try {
    log(`server ${server.url}, foreign origin ${foreign.url}, ${TABS} tabs, ${SECONDS}s, access TTL ${ACCESS_TTL}s, ` +
      `leeway ${LEEWAY_MS}ms, faults ${FAULTS ? `on (${FAULT_RATE})` : 'off'}; second half: expire-now every ~${EXPIRE_EVERY}s ` +
      `per tab, a reload every ~${RELOAD_EVERY}s`);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // tsx compiles with esbuild's keepNames, which wraps named functions in `__name(...)`; `drive`
    // below runs in the page, where that helper does not exist.
    await context.addInitScript('globalThis.__name ??= (fn) => fn;');
    const url = `${server.url}/?leewayMs=${LEEWAY_MS}`;
    const first = await openTab(context, url);
    const login = await first.page.evaluate(() => window.demo.login());
    if (!login.ok) throw new Error(`login failed: ${JSON.stringify(login)}`);
    const tabs = [first];
    for (let i = 1; i < TABS; i++) tabs.push(await openTab(context, url));
    for (const tab of tabs) await waitForStatus(tab.page, 'authenticated');
    await Promise.all(tabs.map((t) => t.page.evaluate(() => window.demo.reset())));

    const before = { rotations: server.stats.refreshRotations, refreshRequests: server.stats.requests['POST /auth/refresh'] ?? 0 };
    const startedAt = Date.now();
    const half = (SECONDS * 1000) / 2;
    const options = { rate: RATE, foreign: foreign.url, expireEvery: EXPIRE_EVERY, expireAfterMs: half };
    await Promise.all(tabs.map((t, i) => t.page.evaluate(drive, { ...options, tab: i + 1 })));
    /** Figures of tabs that were reloaded, as they stood just before. */
    const retired: { snaps: DemoSnapshot[]; records: SoakRecord[]; reasons: Record<string, number>[] } = { snaps: [], records: [], reasons: [] };
    /** Sleeps until `ms` after the start, with a progress line every 10 s. */
    const until = async (ms: number) => {
      for (let left = startedAt + ms - Date.now(); left > 0; left = startedAt + ms - Date.now()) {
        await new Promise((r) => setTimeout(r, Math.min(10_000, left)));
        const snaps = [...(await Promise.all(tabs.map((t) => snapshot(t.page)))), ...retired.snaps];
        log(`${Math.round((Date.now() - startedAt) / 1000)}s: ${snaps.reduce((n, s) => n + s.counts.requests, 0)} requests, ` +
          `${server.stats.requests['POST /auth/refresh'] ?? 0} refresh calls, ${server.stats.refreshFaults} faults`);
      }
    };
    await until(half);
    // The undisturbed half: refreshes per token lifetime are measured here, before any expire-now.
    const firstHalf = { rotations: server.stats.refreshRotations - before.rotations, seconds: (Date.now() - startedAt) / 1000 };

    // Second half: tabs come and go. A reloaded tab's figures so far are kept; its requests still in
    // flight die with the page (counted, not judged); it must come back authenticated from its peers.
    let reloads = 0;
    let abandonedByReload = 0;
    let reloadedAnonymous = 0;
    const end = SECONDS * 1000;
    while (RELOAD_EVERY > 0 && TABS > 1 && Date.now() - startedAt < end) {
      await until(Math.min(end, Date.now() - startedAt + RELOAD_EVERY * 1000 * (0.5 + Math.random())));
      if (Date.now() - startedAt >= end - 2000) break;
      const index = 1 + Math.floor(Math.random() * (TABS - 1));
      const { page } = tabs[index]!;
      abandonedByReload += await page.evaluate(() => window.soak!.pending.size);
      retired.snaps.push(await snapshot(page));
      retired.records.push(await page.evaluate(() => window.soak!.record));
      retired.reasons.push(await refreshReasons(page));
      await page.reload();
      await waitReady(page);
      reloads++;
      if ((await page.evaluate(() => window.demo.status())) !== 'authenticated') reloadedAnonymous++;
      await page.evaluate(() => window.demo.reset());
      const remaining = Math.max(0, half - (Date.now() - startedAt));
      await page.evaluate(drive, { ...options, expireAfterMs: remaining, tab: index + 1 });
    }
    await until(end);
    await Promise.all(tabs.map((t) => t.page.evaluate(() => { window.soak!.stop = true; })));
    // Requests still unsettled after the drain are hung (a deadlock would otherwise hang the soak).
    const hung = await Promise.all(
      tabs.map((t) =>
        t.page.evaluate(async (ms) => {
          const pending = [...window.soak!.pending];
          await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, ms))]);
          return window.soak!.pending.size;
        }, DRAIN_MS),
      ),
    );
    const elapsed = (Date.now() - startedAt) / 1000;

    const snaps: DemoSnapshot[] = [...(await Promise.all(tabs.map((t) => snapshot(t.page)))), ...retired.snaps];
    const records: SoakRecord[] = [...(await Promise.all(tabs.map((t) => t.page.evaluate(() => window.soak!.record)))), ...retired.records];
    // The server's own list of posts: a title twice means one POST took effect twice.
    // GET /api/posts answers one page (≤ 100) at a time: follow `next` to the end.
    const posts: Array<{ title: string }> = [];
    for (let after: string | null = '', pages = 0; after !== null && pages < 100; pages += 1) {
      const path = after ? `/api/posts?after=${after}` : '/api/posts';
      const listed: DemoResult = await first.page.evaluate((p) => window.demo.request(p), path);
      const page = listed.body as { posts?: Array<{ title: string }>; next?: string | null } | null;
      posts.push(...(page?.posts ?? []));
      after = page?.next ?? null;
    }
    const sent = new Set(records.flatMap((r) => r.titles));
    const seen = new Map<string, number>();
    for (const p of posts) if (sent.has(p.title)) seen.set(p.title, (seen.get(p.title) ?? 0) + 1);
    const duplicatePosts = [...seen.values()].reduce((n, c) => n + c - 1, 0);
    const reasons: Record<string, number> = {};
    for (const by of [...(await Promise.all(tabs.map((t) => refreshReasons(t.page)))), ...retired.reasons]) add(reasons, by);

    const rotations = server.stats.refreshRotations - before.rotations;
    const leeway = Math.min(LEEWAY_MS / 1000, ACCESS_TTL / 2);
    // A token is used until `exp - leeway`; `exp` counts from `iat`, which JWT rounds down to the
    // second, so on average 0.5 s of each lifetime is gone before the token arrives.
    const ideal = ACCESS_TTL / (ACCESS_TTL - leeway - 0.5);
    const figures = {
      seconds: Math.round(elapsed),
      tabs: TABS,
      faults: FAULTS ? FAULT_RATE : 0,
      requests: snaps.reduce((n, s) => n + s.counts.requests, 0),
      responsesOk: snaps.reduce((n, s) => n + s.counts.ok, 0),
      statuses: snaps.reduce((m, s) => add(m, s.statuses), {} as Record<string, number>),
      userVisible401s: snaps.reduce((n, s) => n + s.counts.status401, 0),
      rejectionsByName: snaps.reduce((m, s) => add(m, s.errorNames), {} as Record<string, number>),
      expireNowCalls: records.reduce((n, r) => n + r.expiries, 0),
      replays401: snaps.reduce((n, s) => n + s.counts.replays, 0),
      postsSent: sent.size,
      postsCreated: server.stats.postsCreated,
      postsAcknowledged: records.flatMap((r) => r.posts).filter((p) => p.status === 201).length,
      duplicatePostEffects: duplicatePosts,
      idempotentReplaysByServer: server.stats.idempotentReplays,
      refreshCalls: (server.stats.requests['POST /auth/refresh'] ?? 0) - before.refreshRequests,
      refreshFaultsInjected: server.stats.refreshFaults,
      refreshRotations: rotations,
      refreshStartsByReason: reasons,
      refreshGraceReplays: server.stats.refreshGraceReplays,
      refreshTokensPresentedTwice: server.stats.refreshTokensPresentedTwice,
      refreshReuseDetections: server.stats.refreshReused,
      serverSecurityEvents: server.stats.securityEvents.length,
      foreignRequests: foreign.stats.requests,
      foreignBearerTokens: foreign.stats.authorizationHeaders,
      reloads,
      requestsAbandonedByReload: abandonedByReload,
      hungRequests: hung.reduce((n, h) => n + h, 0),
      unexpectedAnonymous:
        snaps.reduce((n, s) => n + s.counts.becameAnonymous, 0) +
        tabs.length - (await Promise.all(tabs.map((t) => t.page.evaluate(() => window.demo.status())))).filter((st) => st === 'authenticated').length +
        reloadedAnonymous,
      refreshesPerTokenLifetime: Number((firstHalf.rotations / (firstHalf.seconds / ACCESS_TTL)).toFixed(2)),
      idealRefreshesPerTokenLifetime: Number(ideal.toFixed(2)),
      pageErrors: tabs.flatMap((t) => t.errors),
    };

    const mustBeZero = [
      'userVisible401s',
      'duplicatePostEffects',
      'refreshTokensPresentedTwice',
      'foreignBearerTokens',
      'unexpectedAnonymous',
      'hungRequests',
    ] as const;
    const failures: string[] = mustBeZero.filter((key) => figures[key] !== 0);
    if (figures.pageErrors.length > 0) failures.push('pageErrors');

    console.log('\nsoak figures');
    for (const [key, value] of Object.entries(figures)) {
      const mark = (mustBeZero as readonly string[]).includes(key) ? (value === 0 ? '  ok ' : '  FAIL') : '     ';
      console.log(`${mark} ${key.padEnd(32)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    }
    console.log(`      (refreshes per token lifetime: first ${Math.round(firstHalf.seconds)}s, before any expire-now; ` +
      `ideal ttl / (ttl - leeway - 0.5 s of exp rounding))`);
    if (process.env.SOAK_JSON) writeFileSync(process.env.SOAK_JSON, `${JSON.stringify(figures, null, 2)}\n`);
    if (failures.length > 0) {
      console.error(`\nsoak: FAILED, not zero: ${failures.join(', ')}`);
      return 1;
    }
    console.log('\nsoak: passed (every must-be-zero figure is zero)');
    return 0;
  } finally {
    await browser.close();
    await server.close();
    await foreign.close();
  }
}

// Whatever hangs (the browser, the server), the soak ends: CI must not wait forever.
const watchdog = setTimeout(() => {
  console.error(`soak: gave up after ${SECONDS + 180}s`);
  process.exit(2);
}, (SECONDS + 180) * 1000);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('soak: crashed:', error);
    process.exit(2);
  },
);
