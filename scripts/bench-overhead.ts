/**
 * Per-call overhead of authFetch, ky and ofetch over the same stub fetch (no network): the part of
 * `npm run bench` that runs both in Node and, bundled by bench-browser.ts, in Chromium. No Node
 * imports here, so that the same code measures both.
 */
import ky from 'ky';
import { createFetch } from 'ofetch';
import { createAuthFetch } from '../src/index.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The median, and the range of the rounds: on a shared machine the range says how far to trust it. */
export const spread = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** Runs each contender's `round` in turn, `rounds` times, after one warm-up round each. */
export async function interleaved<K extends string>(contenders: Record<K, () => Promise<number>>, rounds: number) {
  const names = Object.keys(contenders) as K[];
  const results = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (const name of names) await contenders[name]();
  for (let i = 0; i < rounds; i++) for (const name of names) results[name].push(await contenders[name]());
  return Object.fromEntries(names.map((n) => [n, spread(results[n])])) as Record<K, Spread>;
}

const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
/** A JWT that expires in 2096: the token stays valid for the whole bench, so no refresh is timed. */
const FAR_JWT = `${b64url({ alg: 'none' })}.${b64url({ exp: 4_000_000_000 })}.x`;

/** µs per call of authFetch, ky and ofetch, and of the bare stub, each reading the body as an app would. */
export async function overhead(rounds: number, callsPerRound: number) {
  const url = 'http://bench.invalid/api/me';
  const stub = async (_input: RequestInfo | URL, _init?: RequestInit) => new Response('ok');
  const authFetch = createAuthFetch({ refresh: async () => ({ accessToken: FAR_JWT }), trustedOrigins: ['http://bench.invalid'], channel: false, fetch: stub });
  await authFetch.ready;
  const viaKy = ky.create({ fetch: stub });
  const viaOfetch = createFetch({ fetch: stub });
  const perCall = (call: () => Promise<unknown>) => async () => {
    const start = performance.now();
    for (let i = 0; i < callsPerRound; i++) await call();
    return ((performance.now() - start) * 1000) / callsPerRound;
  };
  const us = await interleaved(
    {
      'bare stub fetch': perCall(async () => (await stub(url)).text()),
      authFetch: perCall(async () => (await authFetch(url)).text()),
      ky: perCall(() => viaKy.get(url).text()),
      ofetch: perCall(() => viaOfetch(url, { responseType: 'text' })),
    },
    rounds,
  );
  authFetch.dispose();
  return us;
}
