/**
 * DPoP end to end in Chromium: the playground page with `?dpop=1` (auth-fetch-tabs/dpop from dist/)
 * against the reference server with DPOP=required. A stolen token or refresh cookie is worth nothing
 * without the key, which the tabs share through IndexedDB and nobody can export.
 */
import type { BrowserContext, Page, Request } from 'playwright-core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { openTab, served, waitForStatus, waitReady } from '../../harness/browser';
import { REFRESH, expectClean, tokenOf, useBrowserSuite } from '../helpers/browser-suite';
import { athOf, makeProof, proofKey } from '../helpers/dpop-proofs';

const { server, context, loggedInTabs } = useBrowserSuite();

const dpopServer = () => server({ dpop: 'required' });
const pageUrl = (s: { url: string }) => `${s.url}/?dpop=1`;
const thumbprintOf = (page: Page) => page.evaluate(() => window.demo.thumbprint());

/** Every answer of the server to the context's calls: path, status, and whether it was a nonce challenge. */
async function recordAnswers(ctx: BrowserContext) {
  const answers: Array<{ method: string; path: string; status: number; nonceChallenge: boolean }> = [];
  await ctx.route(/\/(api|auth)\//, async (route) => {
    const response = await route.fetch();
    const text = await response.text();
    const challenge = response.headers()['www-authenticate'] ?? '';
    answers.push({
      method: route.request().method(),
      path: new URL(route.request().url()).pathname,
      status: response.status(),
      nonceChallenge: challenge.includes('use_dpop_nonce') || text.includes('use_dpop_nonce'),
    });
    await route.fulfill({ response, body: text });
  });
  return answers;
}

/** The request headers of the page's next call to `path`. */
/** A DPoP server, and one tab logged in there in a context of its own. */
async function loggedInDpopTab() {
  const s = await dpopServer();
  const ctx = await context();
  const [tab] = await loggedInTabs(pageUrl(s), 1, ctx);
  return { s, ctx, tab: tab!, page: tab!.page };
}

function nextRequestTo(page: Page, path: string): Promise<Request> {
  return page.waitForRequest((request) => new URL(request.url()).pathname === path);
}

describe('DPoP in Chromium (DPOP=required)', () => {
  it("each call carries a fresh proof with the RFC 9449 claims, and the token as `DPoP`", async () => {
    const { s, tab, page } = await loggedInDpopTab();
    const sent = nextRequestTo(page, '/api/me');
    expect((await page.evaluate(() => window.demo.request('/api/me?x=1#frag'))).status).toBe(200);
    const headers = await (await sent).allHeaders();
    const token = (await tokenOf(page))!;
    expect(headers.authorization).toBe(`DPoP ${token}`);
    const header = decodeProtectedHeader(headers.dpop!);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
    expect(header.jwk).not.toHaveProperty('d');
    const claims = decodeJwt(headers.dpop!);
    expect(claims).toMatchObject({ htm: 'GET', htu: `${s.url}/api/me`, ath: athOf(token) });
    expect(claims.nonce).toEqual(expect.any(String));
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(10);
    expect(decodeJwt(token)).toMatchObject({ cnf: { jkt: await thumbprintOf(page) }, token_type: 'DPoP' });
    expect(await page.evaluate(() => window.demo.authFetch.getState())).toMatchObject({ status: 'authenticated', tokenType: 'DPoP' });
    expectClean([tab]);
  });

  it('a stolen token is refused as Bearer, without a proof, with the captured proof, and with another key’s proof', async () => {
    const { s, tab, page } = await loggedInDpopTab();
    const sent = nextRequestTo(page, '/api/me');
    await page.evaluate(() => window.demo.me());
    const captured = await (await sent).allHeaders();
    const token = (await tokenOf(page))!;
    const me = `${s.url}/api/me`;
    const call = async (headers: Record<string, string>) => {
      const res = await fetch(me, { headers });
      return { status: res.status, error: ((await res.json()) as { error: string }).error, nonce: res.headers.get('dpop-nonce') };
    };
    expect(await call({ authorization: `Bearer ${token}` })).toMatchObject({ status: 401, error: 'invalid_token' });
    expect(await call({ authorization: `DPoP ${token}` })).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    const replayed = await call({ authorization: `DPoP ${token}`, dpop: captured.dpop! });
    expect(replayed).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    const thief = await proofKey();
    const proof = await makeProof(thief, { htm: 'GET', htu: me, nonce: replayed.nonce!, accessToken: token });
    expect(await call({ authorization: `DPoP ${token}`, dpop: proof })).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    // The page's own "Steal the token" button: the server replays it and gets two 401s.
    expect(await page.evaluate(() => window.demo.steal())).toMatchObject({ asBearer: { status: 401 }, asDpopWithoutProof: { status: 401 } });
    // The tab itself still works.
    expect((await page.evaluate(() => window.demo.me())).status).toBe(200);
    expectClean([tab]);
  });

  it('one nonce bounce (a new page\'s first call), then none', async () => {
    const { ctx, tab, page } = await loggedInDpopTab();
    const answers = await recordAnswers(ctx);
    // A reloaded page knows no nonce: its start-up refresh is bounced once.
    await page.reload();
    await waitReady(page);
    expect(await page.evaluate(() => window.demo.status())).toBe('authenticated');
    for (let i = 0; i < 3; i++) expect((await page.evaluate(() => window.demo.me())).status).toBe(200);
    expect((await page.evaluate(() => window.demo.createPost())).status).toBe(201);
    await page.evaluate(() => window.demo.authFetch.refresh());
    const bounces = answers.filter((a) => a.nonceChallenge);
    expect(bounces, JSON.stringify(answers)).toEqual([{ method: 'POST', path: '/auth/refresh', status: 400, nonceChallenge: true }]);
    expect(answers.filter((a) => a.path === '/auth/refresh').map((a) => a.status)).toEqual([400, 200, 200]);
    expectClean([tab]);
  });

  it('a POST resent for a nonce carries the same Idempotency-Key and creates one post', async () => {
    const { s, ctx, tab, page } = await loggedInDpopTab();
    // The next answer hands the page a nonce the server never made, as after a long pause.
    await ctx.route('**/api/me', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'dpop-nonce': '0.stale' } });
    });
    await page.evaluate(() => window.demo.me());
    await ctx.unroute('**/api/me');
    const keys: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/posts') keys.push(request.headers()['idempotency-key'] ?? '');
    });
    const before = s.stats.postsCreated;
    const result = await page.evaluate(() => window.demo.createPost({ key: null }));
    expect(result.status).toBe(201);
    expect(served(s.stats, 'POST /api/posts')).toBe(2);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(s.stats.postsCreated - before).toBe(1);
    expect(await page.evaluate(() => window.demo.counts.replays)).toBe(0);
    expectClean([tab]);
  });

  it('two tabs share one key; the second takes the token without a refresh', async () => {
    const s = await dpopServer();
    const ctx = await context();
    // Both start at once, before any key exists: IndexedDB's add lets only one of them store its key.
    const [a, b] = await Promise.all([openTab(ctx, pageUrl(s)), openTab(ctx, pageUrl(s))]);
    expect(await thumbprintOf(a.page)).toBe(await thumbprintOf(b.page));
    expect((await a.page.evaluate(() => window.demo.login())).ok).toBe(true);
    await waitForStatus(b.page, 'authenticated');
    const refreshes = served(s.stats, REFRESH);
    expect((await b.page.evaluate(() => window.demo.me())).status).toBe(200);
    const c = await openTab(ctx, pageUrl(s));
    await waitForStatus(c.page, 'authenticated');
    expect((await c.page.evaluate(() => window.demo.me())).status).toBe(200);
    expect(served(s.stats, REFRESH)).toBe(refreshes);
    expect(await thumbprintOf(c.page)).toBe(await thumbprintOf(a.page));
    expectClean([a, b, c]);
  });

  it('key stores starting at the same instant (as tabs do) end with one key: IndexedDB add lets one win', async () => {
    const s = await dpopServer();
    const tab = await openTab(await context(), pageUrl(s));
    // A string: vitest would rewrite a dynamic import() inside a function it compiles.
    const thumbprints = await tab.page.evaluate<string[]>(`(async () => {
      const { createDpop } = await import('/lib/dpop.js');
      // Each instance has a cache of its own, as each tab has: only IndexedDB is shared.
      const instances = Array.from({ length: 4 }, () => createDpop({ database: 'race' }));
      for (const dpop of instances) dpop.bind('app');
      return Promise.all(instances.map((dpop) => dpop.thumbprint()));
    })()`);
    expect(new Set(thumbprints).size).toBe(1);
    expectClean([tab]);
  });

  it('a reload keeps the key and the session', async () => {
    const { page } = await loggedInDpopTab();
    const key = await thumbprintOf(page);
    await page.reload();
    await waitReady(page);
    expect(await page.evaluate(() => window.demo.status())).toBe('authenticated');
    expect(await thumbprintOf(page)).toBe(key);
    expect((await page.evaluate(() => window.demo.me())).status).toBe(200);
  });

  it('a refresh cookie copied into another browser is refused; the victim keeps working', async () => {
    const s = await dpopServer();
    const victimCtx = await context();
    const [victim] = await loggedInTabs(pageUrl(s), 1, victimCtx);
    const thiefCtx = await context();
    await thiefCtx.addCookies(await victimCtx.cookies());
    const thief = await openTab(thiefCtx, pageUrl(s));
    expect(await thief.page.evaluate(() => window.demo.status())).toBe('anonymous');
    expect(s.stats.securityEvents.map((e) => e.type)).toContain('dpop_refresh_key_mismatch');
    expect(s.stats.refreshReused).toBe(0);
    const before = (await tokenOf(victim!.page))!;
    await victim!.page.evaluate(() => window.demo.authFetch.refresh());
    expect(await tokenOf(victim!.page)).not.toBe(before);
    expect((await victim!.page.evaluate(() => window.demo.me())).status).toBe(200);
  });

  it('the stored private key cannot be exported, and logout replaces the key in every tab', async () => {
    const s = await dpopServer();
    const [a, b] = await loggedInTabs(pageUrl(s), 2);
    const exported = await a!.page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('auth-fetch-tabs');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('open failed'));
      });
      const store = db.transaction('keys').objectStore('keys');
      const names = await new Promise<IDBValidKey[]>((resolve) => {
        const request = store.getAllKeys();
        request.onsuccess = () => resolve(request.result);
      });
      const pair = await new Promise<CryptoKeyPair>((resolve) => {
        const request = db.transaction('keys').objectStore('keys').get(names[0]!);
        request.onsuccess = () => resolve(request.result as CryptoKeyPair);
      });
      const attempt = await crypto.subtle.exportKey('jwk', pair.privateKey).then(
        () => 'exported',
        (error: Error) => error.name,
      );
      return { records: names.length, extractable: pair.privateKey.extractable, algorithm: pair.privateKey.algorithm, attempt };
    });
    expect(exported).toEqual({ records: 1, extractable: false, algorithm: { name: 'ECDSA', namedCurve: 'P-256' }, attempt: 'InvalidAccessError' });
    const old = await thumbprintOf(a!.page);
    await a!.page.evaluate(() => window.demo.logout());
    await waitForStatus(b!.page, 'anonymous');
    const fresh = await thumbprintOf(a!.page);
    expect(fresh).not.toBe(old);
    // The other tab dropped its cached key too: its next session signs with the new one.
    expect(await thumbprintOf(b!.page)).toBe(fresh);
    expect((await b!.page.evaluate(() => window.demo.login())).ok).toBe(true);
    expect((await b!.page.evaluate(() => window.demo.me())).status).toBe(200);
    await waitForStatus(a!.page, 'authenticated');
    expect((await a!.page.evaluate(() => window.demo.me())).status).toBe(200);
  });
});
