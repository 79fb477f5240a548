/**
 * The reference server's DPoP (RFC 9449): proofs checked claim by claim (each one wrong, one at a
 * time), nonces, tokens bound to the key, a refresh family bound at login, the three modes, and the
 * "steal the token" demo endpoint.
 */
import { generateKeyPair, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createNonces, NONCE_STEP_MS } from '../../playground/auth/dpop-nonces';
import { DpopClient, makeProof, proofKey, type ProofKey } from '../helpers/dpop-proofs';
import { TEST_SECRET, startServer } from '../helpers/server-client';

async function dpopSession(mode: 'optional' | 'required' = 'required') {
  const server = await startServer({ dpop: mode });
  const client = new DpopClient(server.url, await proofKey());
  expect((await client.login()).status).toBe(200);
  return { server, client };
}

/** An API call with a hand-made proof; `spec` changes what the right proof would say. */
async function callMe(client: DpopClient, key: ProofKey, spec: Partial<Parameters<typeof makeProof>[1]> = {}, scheme = 'DPoP') {
  const htu = `${client.baseUrl}/api/me`;
  const proof = await makeProof(key, { htm: 'GET', htu, nonce: client.nonce, accessToken: client.accessToken, ...spec });
  const res = await fetch(htu, { headers: { authorization: `${scheme} ${client.accessToken}`, dpop: proof } });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, error: body.error, challenge: res.headers.get('www-authenticate'), nonce: res.headers.get('dpop-nonce'), proof };
}

describe('reference server: DPoP login and tokens', () => {
  it('answers a login without a nonce with 400 use_dpop_nonce and a nonce, then binds the session to the key', async () => {
    const server = await startServer({ dpop: 'required' });
    const key = await proofKey();
    const url = `${server.url}/auth/login`;
    const body = JSON.stringify({ username: 'alice', password: 'wonderland' });
    const first = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', dpop: await makeProof(key, { htm: 'POST', htu: url }) } });
    expect(first.status).toBe(400);
    expect(((await first.json()) as { error: string }).error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toBeTruthy();
    const second = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', dpop: await makeProof(key, { htm: 'POST', htu: url, nonce: nonce! }) } });
    expect(second.status).toBe(200);
    const answer = (await second.json()) as { accessToken: string; tokenType: string };
    expect(answer.tokenType).toBe('DPoP');
    expect(decodeJwt(answer.accessToken)).toMatchObject({ cnf: { jkt: key.jkt }, token_type: 'DPoP' });
    expect(second.headers.get('dpop-nonce')).toBeTruthy();
    expect(second.headers.getSetCookie().some((line) => line.startsWith(`dpop_jkt=${key.jkt}`))).toBe(true);
  });

  it('refuses a login without a proof when DPoP is required', async () => {
    const server = await startServer({ dpop: 'required' });
    const client = new DpopClient(server.url, undefined);
    const res = await client.login();
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('accepts the bound token with a proof of its key, and says the nonce in every DPoP answer', async () => {
    const { client } = await dpopSession();
    const res = await client.me();
    expect(res.status).toBe(200);
    expect(res.headers.get('dpop-nonce')).toBe(client.nonce);
    expect(client.bounces).toBe(1); // the login's, none since
  });
});

describe('reference server: a proof wrong in one thing is refused', () => {
  const cases: Array<[string, (key: ProofKey, client: DpopClient) => Promise<Partial<Parameters<typeof makeProof>[1]>>, string]> = [
    ['typ is not dpop+jwt', async () => ({ header: { typ: 'JWT' } }), 'invalid_dpop_proof'],
    ['alg is not ES256 (ES384)', async () => {
      const other = await generateKeyPair('ES384');
      const { exportJWK } = await import('jose');
      return { header: { alg: 'ES384', jwk: await exportJWK(other.publicKey) }, signWith: other.privateKey };
    }, 'invalid_dpop_proof'],
    ['no jwk in the header', async () => ({ header: { jwk: undefined } }), 'invalid_dpop_proof'],
    ['signed by another key than its jwk', async () => ({ signWith: (await proofKey()).privateKey }), 'invalid_dpop_proof'],
    ['htm is another method', async () => ({ htm: 'POST' }), 'invalid_dpop_proof'],
    ['htu is another path', async (_, client) => ({ htu: `${client.baseUrl}/api/posts` }), 'invalid_dpop_proof'],
    ['htu is another origin', async () => ({ htu: 'http://evil.example/api/me' }), 'invalid_dpop_proof'],
    ['iat is 10 minutes old', async () => ({ claims: { iat: Math.floor(Date.now() / 1000) - 600 } }), 'invalid_dpop_proof'],
    ['iat is 10 minutes ahead', async () => ({ claims: { iat: Math.floor(Date.now() / 1000) + 600 } }), 'invalid_dpop_proof'],
    ['no jti', async () => ({ claims: { jti: undefined } }), 'invalid_dpop_proof'],
    ['no nonce', async () => ({ nonce: undefined }), 'use_dpop_nonce'],
    ['a nonce we never made', async () => ({ nonce: `${Math.floor(Date.now() / NONCE_STEP_MS)}.${'A'.repeat(43)}` }), 'use_dpop_nonce'],
    ['ath of another token', async () => ({ claims: { ath: 'x'.repeat(43) } }), 'invalid_dpop_proof'],
    ['no ath', async () => ({ claims: { ath: undefined } }), 'invalid_dpop_proof'],
  ];

  it.each(cases)('%s', async (_, change, error) => {
    const { client } = await dpopSession();
    expect((await callMe(client, client.key!)).status).toBe(200); // the right proof passes
    const result = await callMe(client, client.key!, await change(client.key!, client));
    expect(result).toMatchObject({ status: 401, error });
    expect(result.challenge).toMatch(new RegExp(`^DPoP algs="ES256", error="${error}"`));
    expect(result.nonce).toBeTruthy();
  });

  it('a proof replayed (same jti) is refused', async () => {
    const { client } = await dpopSession();
    const first = await callMe(client, client.key!);
    expect(first.status).toBe(200);
    const again = await fetch(`${client.baseUrl}/api/me`, { headers: { authorization: `DPoP ${client.accessToken}`, dpop: first.proof } });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it("another key's proof, right in every claim, is refused: the token is bound to its key", async () => {
    const { client } = await dpopSession();
    const result = await callMe(client, await proofKey());
    expect(result).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
  });

  it('the bound token as a bearer token, or as DPoP without a proof, is refused', async () => {
    const { client } = await dpopSession();
    const asBearer = await fetch(`${client.baseUrl}/api/me`, { headers: { authorization: `Bearer ${client.accessToken}` } });
    expect(asBearer.status).toBe(401);
    expect(((await asBearer.json()) as { error: string }).error).toBe('invalid_token');
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP /);
    const noProof = await fetch(`${client.baseUrl}/api/me`, { headers: { authorization: `DPoP ${client.accessToken}` } });
    expect(noProof.status).toBe(401);
    expect(((await noProof.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('several DPoP headers are refused', async () => {
    const { client } = await dpopSession();
    const htu = `${client.baseUrl}/api/me`;
    const proof = () => makeProof(client.key!, { htm: 'GET', htu, nonce: client.nonce, accessToken: client.accessToken });
    const headers = new Headers({ authorization: `DPoP ${client.accessToken}` });
    headers.append('dpop', await proof());
    headers.append('dpop', await proof());
    const res = await fetch(htu, { headers });
    expect(res.status).toBe(401);
  });
});

describe('reference server: the refresh family is bound to the key', () => {
  it('refreshes with a proof of the key, and the token stays bound', async () => {
    const { client } = await dpopSession();
    const res = await client.refresh();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tokenType: string }).tokenType).toBe('DPoP');
    expect(decodeJwt(client.accessToken!)).toMatchObject({ cnf: { jkt: client.key!.jkt } });
    expect((await client.me()).status).toBe(200);
  });

  it.each([
    ['no proof', async () => undefined],
    ["another key's proof", async () => proofKey()],
  ])('refuses the right cookie with %s before rotating, logs it, and the victim keeps working', async (_, thiefKey) => {
    const { server, client } = await dpopSession('optional');
    const thief = new DpopClient(server.url, await thiefKey());
    for (const [name, value] of client.jar) thief.jar.set(name, value);
    const stolen = await thief.refresh();
    expect(stolen.status).toBe(401);
    expect(server.stats.securityEvents.map((e) => e.type)).toEqual(['dpop_refresh_key_mismatch']);
    expect(server.stats.refreshRotations).toBe(0);
    // The victim's cookie was not rotated away: it still refreshes, once.
    expect((await client.refresh()).status).toBe(200);
    expect((await client.me()).status).toBe(200);
  });

  it("refuses a copied cookie whose binding the thief rewrote to its own key's", async () => {
    const { server, client } = await dpopSession();
    const thief = new DpopClient(server.url, await proofKey());
    for (const [name, value] of client.jar) thief.jar.set(name, value);
    thief.jar.set('dpop_jkt', thief.key!.jkt);
    expect((await thief.refresh()).status).toBe(401);
    // Looked up as <token>.<thief's jkt>, which the store never saw: nothing rotated, nothing revoked.
    expect((await client.refresh()).status).toBe(200);
  });

  it('logout with a proof revokes the bound family and denies the access token (a stale nonce bounces once first)', async () => {
    const { client } = await dpopSession();
    const cookies = new Map(client.jar);
    const token = client.accessToken;
    client.nonce = undefined;
    expect((await client.send('POST', '/auth/logout')).status).toBe(204);
    expect(client.bounces).toBe(2);
    const after = new DpopClient(client.baseUrl, client.key);
    after.nonce = client.nonce;
    for (const [name, value] of cookies) after.jar.set(name, value);
    expect((await after.refresh()).status).toBe(401);
    after.accessToken = token;
    expect((await after.me()).status).toBe(401);
  });

  it('logout with a planted second refresh cookie still ends the DPoP session: every cookie is bound with the proved key (issue 18)', async () => {
    const { server, client } = await dpopSession();
    const logoutUrl = `${server.url}/auth/logout`;
    const dpop = await makeProof(client.key!, { htm: 'POST', htu: logoutUrl, nonce: client.nonce });
    const planted = `refresh_token=${'A'.repeat(43)}`;
    const res = await fetch(logoutUrl, { method: 'POST', headers: { cookie: `${planted}; ${client.cookieHeader()}`, dpop } });
    expect(res.status).toBe(204);
    // The jar keeps its cookies (the answer's Set-Cookie lines were not applied): the family is gone.
    expect((await client.refresh()).status).toBe(401);
  });
});

describe('reference server: DPoP modes', () => {
  it('optional: a login without a proof is a bearer session, one with a proof a DPoP session', async () => {
    const server = await startServer({ dpop: 'optional' });
    const bearer = new DpopClient(server.url, undefined);
    const login = await bearer.login();
    expect(await login.json()).not.toHaveProperty('tokenType');
    expect(decodeJwt(bearer.accessToken!)).not.toHaveProperty('cnf');
    expect((await bearer.me()).status).toBe(200);
    expect((await bearer.refresh()).status).toBe(200);
    const dpop = new DpopClient(server.url, await proofKey());
    await dpop.login();
    expect(decodeJwt(dpop.accessToken!)).toMatchObject({ cnf: { jkt: dpop.key!.jkt } });
    expect((await dpop.me()).status).toBe(200);
  });

  it('optional: a bearer login after a DPoP session clears the key binding, and refreshes as bearer', async () => {
    const { server, client } = await dpopSession('optional');
    const bearer = new DpopClient(server.url, undefined);
    for (const [name, value] of client.jar) bearer.jar.set(name, value);
    expect((await bearer.login()).status).toBe(200);
    expect(bearer.jar.has('dpop_jkt')).toBe(false);
    expect((await bearer.refresh()).status).toBe(200);
  });

  it('optional: an unbound token presented as DPoP, with a good proof, is refused', async () => {
    const server = await startServer({ dpop: 'optional' });
    const bearer = new DpopClient(server.url, undefined);
    await bearer.login();
    const url = `${server.url}/api/me`;
    const key = await proofKey();
    const nonce = (await fetch(url, { headers: { dpop: await makeProof(key, { htm: 'GET', htu: url }) } })).headers.get('dpop-nonce')!;
    const res = await fetch(url, { headers: { authorization: `DPoP ${bearer.accessToken}`, dpop: await makeProof(key, { htm: 'GET', htu: url, nonce, accessToken: bearer.accessToken }) } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('optional: a login with a bad proof is refused, not downgraded to bearer', async () => {
    const server = await startServer({ dpop: 'optional' });
    const url = `${server.url}/auth/login`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await makeProof(await proofKey(), { htm: 'GET', htu: url }) },
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    });
    expect(res.status).toBe(400);
  });

  it('required: an unbound (bearer) token is refused', async () => {
    const optional = await startServer({ dpop: 'optional' });
    const bearer = new DpopClient(optional.url, undefined);
    await bearer.login();
    const required = await startServer({ dpop: 'required' });
    const res = await fetch(`${required.url}/api/me`, { headers: { authorization: `Bearer ${bearer.accessToken}` } });
    expect(res.status).toBe(401);
  });

  it('off: proofs are ignored, tokens are bearer tokens, no nonce is sent', async () => {
    const server = await startServer({ dpop: 'off' });
    const client = new DpopClient(server.url, await proofKey());
    const login = await client.login();
    expect(login.status).toBe(200);
    expect(login.headers.get('dpop-nonce')).toBeNull();
    expect(decodeJwt(client.accessToken!)).not.toHaveProperty('cnf');
    const res = await fetch(`${server.url}/api/me`, { headers: { authorization: `Bearer ${client.accessToken}` } });
    expect(res.status).toBe(200);
  });

  it('DPOP=… is read from the environment and checked', async () => {
    const { optionsFromEnv } = await import('../../playground/config');
    expect(optionsFromEnv({ DPOP: 'required' })).toMatchObject({ dpop: 'required' });
    expect(() => optionsFromEnv({ DPOP: 'sometimes' })).toThrow(/DPOP must be 'off', 'optional' or 'required'/);
  });
});

describe('reference server: DPoP nonces', () => {
  it('are stateless: the previous step is accepted, older ones and forgeries are not', () => {
    let now = 10 * NONCE_STEP_MS;
    const nonces = createNonces(TEST_SECRET, () => now);
    const first = nonces.current();
    expect(nonces.isValid(first)).toBe(true);
    now += NONCE_STEP_MS;
    expect(nonces.isValid(first)).toBe(true);
    now += NONCE_STEP_MS;
    expect(nonces.isValid(first)).toBe(false);
    expect(nonces.isValid(createNonces('another-secret-another-secret-0123456', () => now).current())).toBe(false);
    expect(nonces.isValid(`${Math.floor(now / NONCE_STEP_MS)}.${'A'.repeat(43)}`)).toBe(false);
  });

  it("every instance with the shared secret accepts every instance's nonce", async () => {
    const { client } = await dpopSession();
    const other = await startServer({ dpop: 'required' });
    const url = `${other.url}/api/me`;
    const res = await fetch(url, {
      headers: { authorization: `DPoP ${client.accessToken}`, dpop: await makeProof(client.key!, { htm: 'GET', htu: url, nonce: client.nonce, accessToken: client.accessToken }) },
    });
    expect(res.status).toBe(200);
  });

  it('a POST resent for a nonce with the same Idempotency-Key creates one post', async () => {
    const { server, client } = await dpopSession();
    client.nonce = undefined; // as after a long pause: the first send is challenged
    const res = await client.send('POST', '/api/posts', { body: JSON.stringify({ title: 'once' }), headers: { 'idempotency-key': 'k-1' } });
    expect(res.status).toBe(201);
    expect(client.bounces).toBe(2);
    expect(server.stats.postsCreated).toBe(1);
  });
});

describe('reference server: the "steal the token" demo', () => {
  it('replays a DPoP token as Bearer and as DPoP without a proof: both 401', async () => {
    const { server, client } = await dpopSession('optional');
    const res = await fetch(`${server.url}/demo/steal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: client.accessToken }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ asBearer: { status: 401, error: 'invalid_token' }, asDpopWithoutProof: { status: 401, error: 'invalid_dpop_proof' } });
  });

  it("a bearer token works from the thief's side", async () => {
    const server = await startServer({ dpop: 'optional' });
    const client = new DpopClient(server.url, undefined);
    await client.login();
    const res = await fetch(`${server.url}/demo/steal`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: client.accessToken }) });
    expect(await res.json()).toMatchObject({ asBearer: { status: 200 } });
  });
});
