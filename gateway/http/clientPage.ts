import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CascadeError } from '../../schemas/errors';
import type { RouteHandler } from './router';

/**
 * The browser client's page with its configuration inlined as a JSON data block
 * (`<script id="cascade-config" type="application/json">`): the auth mode, and the routers' RTP
 * capabilities when a media node has given them. The client then opens its WebSocket and loads
 * its mediasoup Device at once, instead of fetching /client-config.json and asking for the
 * capabilities first (two round trips before the join). The file is read on every request, like
 * the other static files, because the client is rebuilt in place.
 */

export interface ClientPageConfig {
  authMode: string;
  rtpCapabilities?: Record<string, unknown>;
}

export const CLIENT_CONFIG_ELEMENT_ID = 'cascade-config';

export function createClientPageHandler(publicDir: string, clientConfig: () => Promise<ClientPageConfig>): RouteHandler {
  const file = path.join(publicDir, 'index.html');
  return async (req, res) => {
    const html = await readFile(file, 'utf8').catch(() => {
      throw new CascadeError('NOT_FOUND', 'Not found: the browser client is not built (run `npm run build`)');
    });
    const body = Buffer.from(inlineConfig(html, await clientConfig()));
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** Adds the data block before `</head>` (or at the end); `<` is escaped so the JSON cannot end the element. */
export function inlineConfig(html: string, config: ClientPageConfig): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  const block = `<script id="${CLIENT_CONFIG_ELEMENT_ID}" type="application/json">${json}</script>`;
  const at = html.indexOf('</head>');
  return at < 0 ? html + block : html.slice(0, at) + block + html.slice(at);
}
