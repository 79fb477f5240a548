import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';


/**
 * DPoP in the Node tests: key pairs, proofs signed with jose (any claim can be made wrong on
 * purpose), and a client of the reference server that carries the refresh and key-binding cookies
 * and answers a nonce challenge once, as auth-fetch-tabs/dpop does.
 */

export interface ProofKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

export const athOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

export interface ProofSpec {
  htm: string;
  htu: string;
  nonce?: string | undefined;
  accessToken?: string | undefined;
  /** Claims to set (overriding the right ones) or, as undefined, to leave out. */
  claims?: Record<string, unknown>;
  /** Protected header fields to set or, as undefined, to leave out. */
  header?: Record<string, unknown>;
  /** Signs with this key while the header shows `key`'s public JWK. */
  signWith?: CryptoKey;
}

/** A proof by `key` for `spec`: right in every claim unless `spec` says otherwise. */
export async function makeProof(key: ProofKey, spec: ProofSpec): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: randomUUID(),
    htm: spec.htm,
    htu: spec.htu,
    iat: Math.floor(Date.now() / 1000),
    ...(spec.nonce === undefined ? {} : { nonce: spec.nonce }),
    ...(spec.accessToken === undefined ? {} : { ath: athOf(spec.accessToken) }),
    ...spec.claims,
  };
  const header: Record<string, unknown> = { alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...spec.header };
  const defined = (record: Record<string, unknown>) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
  return new SignJWT(defined(claims)).setProtectedHeader(defined(header) as { alg: string }).sign(spec.signWith ?? key.privateKey);
}

/** The cookie lines a browser would keep from `res`: the refresh token and the key binding. */
function keptCookies(res: Response, jar: Map<string, string>): void {
  for (const line of res.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const [name = '', value = ''] = pair.split('=');
    if (/;\s*Max-Age=0(?:;|$)/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
}

/** A browser's worth of DPoP session: its cookies, its key, the server's last nonce. */
export class DpopClient {
  readonly jar = new Map<string, string>();
  nonce: string | undefined;
  accessToken: string | undefined;
  /** Requests answered with a nonce challenge, then resent. */
  bounces = 0;

  constructor(
    readonly baseUrl: string,
    public key: ProofKey | undefined,
  ) {}

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** Sends with a fresh proof (when it has a key), and once more with the new nonce if challenged. */
  async send(method: string, path: string, init: { body?: string; headers?: Record<string, string>; withToken?: boolean } = {}): Promise<Response> {
    const once = async () => {
      const url = new URL(path, this.baseUrl).href;
      const headers: Record<string, string> = { ...init.headers };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      if (path.startsWith('/auth/') && this.jar.size > 0) headers.cookie = this.cookieHeader();
      const token = init.withToken === false ? undefined : this.accessToken;
      if (token && !path.startsWith('/auth/refresh')) headers.authorization = `${this.key ? 'DPoP' : 'Bearer'} ${token}`;
      if (this.key) headers.dpop = await makeProof(this.key, { htm: method, htu: url, nonce: this.nonce, accessToken: headers.authorization ? token : undefined });
      const res = await fetch(url, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
      this.nonce = res.headers.get('dpop-nonce') ?? this.nonce;
      keptCookies(res, this.jar);
      return res;
    };
    const res = await once();
    const challenged = res.status === 401 ? /use_dpop_nonce/.test(res.headers.get('www-authenticate') ?? '') : res.status === 400 && (await res.clone().json() as { error?: string }).error === 'use_dpop_nonce';
    if (!challenged) return res;
    this.bounces++;
    return once();
  }

  private async tokens(res: Response): Promise<Response> {
    if (res.status === 200) this.accessToken = ((await res.clone().json()) as { accessToken: string }).accessToken;
    return res;
  }

  async login(): Promise<Response> {
    return this.tokens(await this.send('POST', '/auth/login', { body: JSON.stringify({ username: 'alice', password: 'wonderland' }) }));
  }

  async refresh(): Promise<Response> {
    return this.tokens(await this.send('POST', '/auth/refresh'));
  }

  me(): Promise<Response> {
    return this.send('GET', '/api/me');
  }
}


