// The routes a Fastify app serves, read from its own route table (app.printRoutes), so that suites which must
// cover every route (auth, body limits) cover the ones added after them too.
import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  /** The route's path template, e.g. /api/v1/characters/:slug. */
  url: string;
}

/**
 * Every method and path of `app` (HEAD and OPTIONS, which Fastify and CORS add to every route, left out). The tree
 * printRoutes draws with commonPrefix: each line is one segment, indented four columns per level, its methods in
 * parentheses when a route ends there.
 */
export function routeTable(app: FastifyInstance): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const path: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: true }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    path.length = match[1]!.length / 4;
    // The root, when several method trees hang from it (CORS adds OPTIONS *), has no path of its own.
    path.push(match[2] === '(empty root node)' ? '' : match[2]!);
    for (const method of match[3]?.split(', ') ?? []) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url: path.join('') });
    }
  }
  return routes;
}
