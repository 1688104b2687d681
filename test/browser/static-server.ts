/** A throwaway HTTP server on 127.0.0.1 for browser tests: files from memory, a directory, a handler. */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';

/** A file served from memory. A string body is served as HTML unless `contentType` says otherwise. */
export interface StaticFile {
  readonly body: string | Uint8Array;
  readonly contentType?: string;
}

/** A minimal HTML page that loads the given module scripts. */
export function modulePage(...scriptUrls: string[]): StaticFile {
  const tags = scriptUrls.map((src) => `<script type="module" src="${src}"></script>`).join('');
  return {
    body: `<!doctype html><html><head><meta charset="utf-8"><title>tidesync test</title>${tags}</head><body></body></html>`,
    contentType: 'text/html; charset=utf-8',
  };
}

/** Options of {@link serveStatic}. */
export interface ServeStaticOptions {
  /** A directory served for paths not in `files` (for a built example app). */
  readonly staticDir?: string;
  /**
   * Tried before everything else, for example to mount a sync server's `nodeHandler` under
   * `/sync`. Return true when it handled the request.
   */
  readonly handler?: (
    request: IncomingMessage,
    response: ServerResponse,
  ) => boolean | Promise<boolean>;
}

/** The content type of bundled scripts. */
export const JS_TYPE = 'text/javascript; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': HTML_TYPE,
  '.js': JS_TYPE,
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves files from memory, a directory, and a custom handler on 127.0.0.1, on a free port. */
export async function serveStatic(
  files: Readonly<Record<string, StaticFile>>,
  options: ServeStaticOptions = {},
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    void respond(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  const respond = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (options.handler && (await options.handler(request, response))) return;
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = files[path];
    if (file) {
      response.setHeader('content-type', file.contentType ?? HTML_TYPE);
      response.setHeader('cache-control', 'no-store');
      response.end(file.body);
      return;
    }
    if (options.staticDir) {
      const root = resolve(options.staticDir);
      const target = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (target.startsWith(root)) {
        try {
          const body = await readFile(target);
          response.setHeader(
            'content-type',
            CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
          );
          response.end(body);
          return;
        } catch {
          // Fall through to 404.
        }
      }
    }
    // Browsers ask for a favicon on every page; answer so it does not log a 404 error.
    response.statusCode = path === '/favicon.ico' ? 204 : 404;
    response.end(path === '/favicon.ico' ? undefined : `not found: ${path}`);
  };
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ready());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      });
      return closed;
    },
  };
}
