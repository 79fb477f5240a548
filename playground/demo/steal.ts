import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Handler } from '../context.js';
import { isHttps, parseJsonObject, readBody, requiredString, sendJson } from '../http/messages.js';

/**
 * `POST /demo/steal {accessToken}`: the playground's "Steal the token" button. The server plays the
 * thief: it replays the page's token against its own `/api/me`, as `Bearer` and as `DPoP` without
 * a proof, and reports what it got. With a DPoP session both are 401: a token without its key is
 * worth nothing. It only ever calls this server's own socket address, never a host from the request.
 */

interface Attempt {
  status: number;
  error: string | undefined;
  wwwAuthenticate: string | undefined;
}

function callOwnApi(req: IncomingMessage, authorization: string): Promise<Attempt> {
  const { localAddress, localPort } = req.socket;
  const request = isHttps(req) ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: localAddress,
        port: localPort,
        path: '/api/me',
        headers: { authorization, host: req.headers.host ?? '' },
        // Our own certificate, reached by address: the name cannot match, and nothing leaves this host.
        rejectUnauthorized: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { error?: string };
          const header = res.headers['www-authenticate'];
          resolve({ status: res.statusCode ?? 0, error: body.error, wwwAuthenticate: Array.isArray(header) ? header.join(', ') : header });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

export const steal: Handler = async (req, res, ctx) => {
  ctx.origins.assertAllowed(req);
  const accessToken = requiredString(parseJsonObject(await readBody(req)), 'accessToken', 4096);
  const asBearer = await callOwnApi(req, `Bearer ${accessToken}`);
  const asDpopWithoutProof = await callOwnApi(req, `DPoP ${accessToken}`);
  sendJson(res, 200, { asBearer, asDpopWithoutProof });
};
