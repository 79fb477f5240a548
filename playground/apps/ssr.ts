import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HttpError } from '../http/messages.js';

/**
 * The server-rendered example apps: each build leaves a Node request handler, which the playground
 * server mounts under /<name>/ (same origin as /auth and /api, so no proxy and no CORS). Loaded on
 * the first request, so a playground without them built never loads a framework's server.
 */
export const SSR_APP_NAMES = ['sveltekit', 'nuxt'] as const;
export type SsrAppName = (typeof SSR_APP_NAMES)[number];

/** Connect-style, as adapter-node's `handler` and Nitro's `node-listener` export it. */
type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => unknown;

/** Where `npm run build:apps` leaves each app's handler (run from the app's folder). */
const HANDLER_FILES: Record<SsrAppName, string> = {
  sveltekit: 'sveltekit/build/handler.js',
  nuxt: 'nuxt/.output/server/index.mjs',
};

const handlerFile = (name: SsrAppName): string => fileURLToPath(new URL(`./${HANDLER_FILES[name]}`, import.meta.url));
const loaded = new Map<SsrAppName, Promise<NodeHandler>>();

/** The SSR app a URL path belongs to (`/nuxt`, `/nuxt/…`), if any. */
export function ssrAppOf(pathname: string): SsrAppName | undefined {
  return SSR_APP_NAMES.find((name) => pathname === `/${name}` || pathname.startsWith(`/${name}/`));
}

function loadHandler(name: SsrAppName): Promise<NodeHandler> {
  let handler = loaded.get(name);
  if (!handler) {
    const file = handlerFile(name);
    if (!existsSync(file)) throw new HttpError(404, 'not_built', `The ${name} app is not built (npm run build:apps)`);
    handler = import(pathToFileURL(file).href).then((module: { handler: NodeHandler }) => module.handler);
    loaded.set(name, handler);
  }
  return handler;
}

/** Hands the request to the app's own handler; settles when the response is done. */
export async function serveSsrApp(name: SsrAppName, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const handler = await loadHandler(name);
  await new Promise<void>((resolve, reject) => {
    res.once('close', () => resolve());
    // `next()`: the app has nothing at this path; `next(error)`: it failed (the server answers 500).
    handler(req, res, (error) => reject(error instanceof Error ? error : new HttpError(404, 'not_found', 'No such page')));
  });
}

/** The lines `npm run playground` prints about these apps. */
export function ssrAppLines(url: string): string[] {
  return SSR_APP_NAMES.map((name) =>
    existsSync(handlerFile(name)) ? `  ${name} app: ${url}/${name}/` : `  ${name} app: not built (npm run build:apps)`,
  );
}
