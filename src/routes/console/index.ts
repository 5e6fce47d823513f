import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { contentTypeOf, readConsoleFile } from './console-files.ts';

/** Where `npm run build:console` writes (console/vite.config.ts). */
const DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

// The console keeps the admin key in sessionStorage: no framing, no third-party scripts, no referrer leaks.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob: https:; media-src 'self' blob: data:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rialto console not built</title></head>
<body>
<h1>The console is not built</h1><p>Rialto serves its web console from <code>console/dist</code>, which is missing.
Run <code>npm run build:console</code> (or <code>npm install</code>), then reload this page.</p></body></html>`;

/**
 * GET /console and /console/*: the operator's web console (console/, a Vite + React build) from its build output.
 * Vite's hashed files under assets/ are cached for good; anything else without a file is the single page's
 * index.html (its own router reads the path). Without a build, a 503 page says how to make one.
 */
export function registerConsoleRoutes(app: FastifyInstance, directory: string = DIST): void {
  const sendIndex = async (reply: FastifyReply): Promise<FastifyReply> => {
    const index = await readConsoleFile(directory, 'index.html');
    reply.headers(PAGE_HEADERS);
    if (index === undefined)
      return reply
        .status(503)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  };

  app.get('/console', async (_request, reply) => sendIndex(reply));
  app.get<{ Params: { '*': string } }>('/console/*', async (request, reply) => {
    const path = request.params['*'];
    if (path === '' || path === 'index.html') return sendIndex(reply);
    const file = await readConsoleFile(directory, path);
    if (file !== undefined) {
      const hashed = path.startsWith('assets/');
      reply
        .headers(PAGE_HEADERS)
        .type(contentTypeOf(path))
        .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.send(file);
    }
    // A missing script or stylesheet must fail as such, not load the page's HTML in its place.
    if (path.startsWith('assets/'))
      return reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send(`Not found: /console/${path}\n`);
    return sendIndex(reply);
  });
}
