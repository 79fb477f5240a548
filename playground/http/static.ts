import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appStaticFile } from '../apps/builds.js';
import { HttpError } from './messages.js';

/**
 * Static files: `/` and `/<name>` from `playground/public/`, `/lib/<name>` from the library build
 * in `dist/`, `/vue/` and `/svelte/` from the example apps' builds (apps/builds.ts). A path is
 * decoded once, resolved, and must stay inside its root; `..`, NUL bytes and dot-files are refused,
 * so neither `/../package.json` nor `/lib/%2e%2e%2fpackage.json` leaves it.
 */

const PUBLIC_ROOT = fileURLToPath(new URL('../public/', import.meta.url));
const LIB_ROOT = fileURLToPath(new URL('../../dist/', import.meta.url));
/** panva's dpop, which `/lib/dpop.js` imports by name (the page's import map points it here). */
const DPOP_ROOT = fileURLToPath(new URL('../../node_modules/dpop/build/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const notFound = (): HttpError => new HttpError(404, 'not_found', 'No such file');

/** Maps a URL path to a file inside one of the roots, or throws 404. */
export function resolveStaticPath(pathname: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw notFound();
  }
  const [root, relative] =
    appStaticFile(decoded) ??
    (decoded === '/vendor/dpop.js' ? [DPOP_ROOT, 'index.js'] : undefined) ??
    (decoded.startsWith('/lib/') ? [LIB_ROOT, decoded.slice('/lib/'.length)] : [PUBLIC_ROOT, decoded === '/' ? 'index.html' : decoded.slice(1)]);
  const segments = relative.split(/[/\\]/);
  if (relative.includes('\0') || segments.some((s) => s === '' || s === '..' || s.startsWith('.'))) {
    throw notFound();
  }
  const file = resolve(root, relative);
  // Belt and braces: whatever the checks above missed, never serve outside the root.
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) throw notFound();
  return file;
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const file = resolveStaticPath(pathname);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw notFound();
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', done);
    stream.pipe(res);
  });
}
