/**
 * Turns a fetch call into something that can be sent twice: the same body, the same
 * `Idempotency-Key`, a different `Authorization` header.
 */
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
   * Sends with `token` in `Authorization` and `signal` (which must follow the caller's), and once more
   * when the proof hook asks for it; each send carries a fresh copy of the body.
   */
  send(token: Token | undefined, signal: AbortSignal): Promise<Sent>;
}

export function requestUrl(input: RequestInfo | URL): string {
  return isRequest(input) ? input.url : String(input);
}

/** Returns `undefined` when the request must go out untouched (the caller set `Authorization`). */
export function prepare(input: RequestInfo | URL, init: RequestInit | undefined, url: URL, config: Config): Prepared | undefined {
  const request = isRequest(input) ? input : undefined;
  const headers = new Headers(init?.headers ?? request?.headers);
  if (headers.has('authorization')) return undefined;
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  const idem = config.idempotency;
  if (idem && idem.methods.includes(method) && !headers.has(idem.header)) {
    const key: unknown = idem.key();
    // Sending "undefined" as every POST's key would make the server merge different requests.
    if (typeof key !== 'string' || key === '') throw new TypeError(`\`idempotency.key\` must return a non-empty string, got ${show(key)}`);
    headers.set(idem.header, key);
  }
  let body = init?.body;
  // A Request's body, unlike a stream, can be kept by cloning it before the first send.
  const bodyKept = !isOneShot(body);
  const replayable = bodyKept && (IDEMPOTENT.includes(method) || (!!idem && headers.has(idem.header)));
  // At most three sends (the first, the replay, one resend for a proof's nonce each time): copies
  // of a Request's body taken before the first send reads it.
  const copies = replayable && request?.body && body == null ? [request.clone(), ...(config.dpop ? [request.clone(), request.clone()] : [])] : [];
  let sends = 0;
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
      const sendOnce = (extra: Record<string, string>) => {
        const sendHeaders = new Headers(headers);
        for (const [name, value] of Object.entries(extra)) sendHeaders.set(name, value);
        // A Request body is read by its send: later sends take a copy made before the first one.
        const sent = sends++ && copies.length ? copies.shift()! : input;
        const options: RequestInit = { ...init, headers: sendHeaders, signal };
        if (body !== init?.body) options.body = body ?? null;
        return config.fetch(sent, options);
      };
      return sendWithProof(config.dpop, { method, url: url.href, token }, sendOnce, replayable);
    },
  };
}
