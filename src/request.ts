/**
 * Turns a fetch call into a request that can be sent more than once: its URL read once (what was
 * checked is what is sent), the same body and `Idempotency-Key` on every send, a fresh
 * `Authorization` each time.
 */
import type { Clock } from './clock.js';
import { show, type Config } from './options.js';
import { sendWithProof, type Sent } from './send.js';
import type { Token } from './token.js';

/** RFC 9110 §9.2.2: repeating these has the same effect as sending them once. */
const IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];

// Duck-typed rather than `instanceof Request`: ky, happy-dom and polyfills bring their own Request.
const isRequest = (input: unknown): input is Request =>
  typeof input === 'object' && input !== null && typeof (input as Request).clone === 'function' && 'url' in input;

// Read once: a ReadableStream, or an async iterable such as a Node `stream.Readable` (Node's fetch
// takes both with `duplex: 'half'`). Duck-typed for the same reason. Blob, FormData, strings and
// buffers can be sent again.
const isOneShot = (body: unknown) =>
  typeof body === 'object' && body !== null && (typeof (body as ReadableStream).getReader === 'function' || Symbol.asyncIterator in body);

export interface Prepared {
  url: URL;
  method: string;
  /** Whether a second send is safe: the body can be read again and the method is idempotent or keyed. */
  replayable: boolean;
  /** The caller's own abort signal, if any. */
  signal: AbortSignal | null | undefined;
  /**
   * Sends with `token` and `signal` (which must follow the caller's), and once more when the proof
   * hook asks for it; each send carries a fresh copy of the body.
   */
  send(token: Token | undefined, signal: AbortSignal): Promise<Sent>;
}

/** The URL a fetch call names, read once: a `URL` or a `Request` read again later may have changed. */
export function requestUrl(input: RequestInfo | URL): string {
  return isRequest(input) ? input.url : String(input);
}

/**
 * Prepares the call to `url` (the call's URL, resolved and checked); `undefined` when it must go out
 * untouched (the caller set `Authorization`).
 */
export function prepare(input: RequestInfo | URL, init: RequestInit | undefined, url: URL, config: Config, clock: Clock): Prepared | undefined {
  const request = isRequest(input) ? input : undefined;
  const checkedUrl = request?.url;
  const headers = new Headers(init?.headers ?? request?.headers);
  if (headers.has('authorization')) return undefined;
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  const idem = config.idempotency;
  if (idem && idem.methods.includes(method) && !headers.has(idem.header)) {
    const key: unknown = idem.key();
    // Sending "undefined" as every POST's key would make the server merge different requests.
    if (typeof key !== 'string' || key === '') throw new TypeError(__DEV__ ? `\`idempotency.key\` must return a non-empty string, got ${show(key)}` : 'idempotency.key');
    headers.set(idem.header, key);
  }
  let body = init?.body;
  // A Request's body, unlike a stream, can be kept by cloning it before the first send.
  const replayable = !isOneShot(body) && (IDEMPOTENT.includes(method) || (!!idem && headers.has(idem.header)));
  // Up to two sends (the first, the replay), and one resend each for a proof's nonce: copies of a
  // Request's body taken before the first send reads it.
  const spares = config.dpop ? 3 : 1;
  const copies = replayable && request?.body && body == null ? Array.from({ length: spares }, () => request.clone()) : [];
  let sends = 0;
  const { href } = url;
  return {
    url,
    method,
    replayable,
    // As with fetch, `init.signal: null` detaches the Request's signal.
    signal: init && 'signal' in init ? init.signal : request?.signal,
    async send(token, signal) {
      // A FormData body gets a new multipart boundary each time it is sent; an Idempotency-Key
      // server that compares payloads would see a different request. Serialize it once.
      if (replayable && typeof FormData !== 'undefined' && body instanceof FormData) {
        body = await new Response(body).blob();
      }
      const sendOnce = (sent: Headers) => {
        // Exactly what was checked: a Request whose URL reads differently now is not sent anywhere.
        if (request && request.url !== checkedUrl) throw new TypeError(__DEV__ ? 'the Request’s URL changed after it was passed to authFetch' : 'url');
        const options: RequestInit = { ...init, headers: sent, signal };
        if (body !== init?.body) options.body = body ?? null;
        const first = sends++ === 0;
        return config.fetch(first || !copies.length ? (request ?? href) : copies.shift()!, options);
      };
      return sendWithProof({ clock, proof: config.dpop }, { method, url: href, headers, token }, sendOnce, replayable);
    },
  };
}
