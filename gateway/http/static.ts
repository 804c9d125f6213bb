import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CascadeError } from '../../schemas/errors';
import type { RouteHandler } from './router';

/** Serves the built browser client from one directory; nothing outside it is reachable. */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a URL path to a file under `root`, or undefined when it would escape it. Decoding happens
 * before the check, so `%2e%2e/` is caught too.
 */
export function resolveUnder(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + path.posix.normalize('/' + decoded.replace(/\\/g, '/')));
  if (file !== base && !file.startsWith(base + path.sep)) return undefined;
  return file;
}

export function createStaticHandler(publicDir: string): RouteHandler {
  return async (req, res, _params, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new CascadeError('NOT_FOUND');
    let file = resolveUnder(publicDir, url.pathname);
    if (!file) throw new CascadeError('NOT_FOUND');
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = path.join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile()) {
      const hint = url.pathname === '/' ? ': the browser client is not built (run `npm run build`)' : '';
      throw new CascadeError('NOT_FOUND', `Not found${hint}`);
    }
    const type = contentTypeOf(file);
    res.writeHead(200, {
      'content-type': type,
      'content-length': info.size,
      // The client is rebuilt in place; never let a browser run yesterday's bundle.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(file);
      stream.on('error', reject);
      res.on('close', resolve);
      stream.pipe(res);
    });
  };
}
