import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from '../config.js';

/**
 * Small HTTP helpers shared by the handlers. Every error leaves as JSON `{ error, message }`
 * with no stack trace; handlers throw `HttpError` and the router turns it into a response.
 */

export class HttpError extends Error {
  override name = 'HttpError' as const;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, 'bad_request', message);

// Token responses must not be cached (RFC 6749 §5.1); we apply it to every JSON answer.
const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendRawJson(res, status, JSON.stringify(body), headers);
}

/** For bodies that are already JSON text, e.g. a stored idempotent response being replayed. */
export function sendRawJson(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.code, message: error.message }, error.headers);
}

export function sendNoContent(res: ServerResponse, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(204, { 'cache-control': 'no-store', ...headers });
  res.end();
}

const tooLarge = (): HttpError =>
  // Close the connection: the rest of an oversized body is not worth reading.
  new HttpError(413, 'payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`, {
    connection: 'close',
  });

/**
 * Reads the whole body, refusing more than MAX_BODY_BYTES (declared or actually sent). On
 * overflow the rest is drained, not read into memory: destroying the request would also destroy
 * the socket and lose the 413 answer.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume();
      reject(tooLarge());
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', () => reject(badRequest('The request body was cut short')));
  });
}

/** Parses a JSON object body; anything else is 400 `bad_request`. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function requiredString(body: Record<string, unknown>, field: string, maxLength: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw badRequest(`\`${field}\` must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

export function isHttps(req: IncomingMessage): boolean {
  // Only a TLS socket counts: X-Forwarded-Proto is spoofable unless a trusted proxy sets it.
  return 'encrypted' in req.socket && req.socket.encrypted === true;
}
