import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { resolveStaticPath } from '../../playground/http/static';
import { loggedIn, rawExchange, startServer } from '../helpers/server-client';

/** A raw request, so paths reach the server exactly as written (fetch would normalise `..`). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string; type: string | undefined }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('reference server: HTTP hygiene', () => {
  it('answers unknown routes with a JSON 404 and wrong methods with 405', async () => {
    const { url } = await startServer();
    const missing = await fetch(`${url}/api/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found', message: expect.any(String) });
    const wrong = await fetch(`${url}/auth/refresh`);
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as { error: string }).error).toBe('method_not_allowed');
  });

  it('refuses bodies over 64 KiB with 413, declared or streamed', async () => {
    const { url } = await startServer();
    const session = await loggedIn(url);
    const big = JSON.stringify({ title: 't', body: 'x'.repeat(70 * 1024) });
    const declared = await session.createPost(big);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toBe('payload_too_large');

    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        // 1 MiB, far past the limit: the server must still get its 413 out, not reset the socket.
        for (let i = 0; i < 64; i += 1) controller.enqueue(chunk);
        controller.close();
      },
    });
    const streamed = await fetch(`${url}/auth/login`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const { url } = await startServer();
    const session = await loggedIn(url);
    const prefix = '{"title":"t","body":"';
    const body = `${prefix}${'x'.repeat(64 * 1024 - prefix.length - 2)}"}`;
    expect(Buffer.byteLength(body)).toBe(64 * 1024);
    // 400 because `body` is over 10 000 characters: the size limit itself let it through.
    expect((await session.createPost(body)).status).toBe(400);
  });

  it('never leaks a stack trace, whatever the input', async () => {
    const { url } = await startServer();
    const res = await fetch(`${url}/auth/login`, { method: 'POST', body: '\u0000\uffff{' });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers a request-target the URL parser rejects with 400, and logs no internal error', async () => {
    const lines: string[] = [];
    const { url } = await startServer({ log: (line) => lines.push(line) });
    const res = await rawExchange(url, ['GET http://[::1 HTTP/1.1', 'Host: 127.0.0.1']);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'bad_request', message: expect.any(String) });
    expect(lines.join('\n')).not.toMatch(/internal error|\n\s+at /);
    // The server is still fine.
    expect((await fetch(`${url}/api/me`)).status).toBe(401);
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/..%2f..%2fpackage.json',
    '/lib/../../package.json',
    '/lib/%2e%2e%2f%2e%2e%2fpackage.json',
    '/lib/..%5c..%5cpackage.json',
    '/%2e%2e%2fplayground%2fserver.ts',
    '/lib/%00index.js',
    '/.env',
    '/lib/',
    '/%',
  ])('refuses path traversal: GET %s', async (path) => {
    const { url } = await startServer();
    const res = await rawGet(url, path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('"devDependencies"');
    expect(res.body).not.toContain('createServer');
  });

  it('serves the page and the built library with the right content types (when present)', async () => {
    const { url } = await startServer();
    const cases = [
      ['/', '../../playground/public/index.html', 'text/html; charset=utf-8'],
      ['/js/main.js', '../../playground/public/js/main.js', 'text/javascript; charset=utf-8'],
      ['/lib/index.js', '../../dist/index.js', 'text/javascript; charset=utf-8'],
    ] as const;
    for (const [path, file, type] of cases) {
      const res = await rawGet(url, path);
      // The page and the build belong to others and may not exist yet: then 404 is right.
      if (!existsSync(new URL(file, import.meta.url))) expect(res.status).toBe(404);
      else expect(res).toMatchObject({ status: 200, type });
    }
  });

  it('maps good paths inside their roots', () => {
    expect(resolveStaticPath('/')).toMatch(/playground\/public\/index\.html$/);
    expect(resolveStaticPath('/js/main.js')).toMatch(/playground\/public\/js\/main\.js$/);
    expect(resolveStaticPath('/lib/index.js')).toMatch(/\/dist\/index\.js$/);
    expect(() => resolveStaticPath('/lib/../../etc/passwd')).toThrow();
  });
});
