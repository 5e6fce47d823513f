/**
 * Portkey's AI gateway (`@portkey-ai/gateway`, a devDependency) as a bench peer: started the way its README says
 * (`gateway --port=N --headless`), routed to the fast upstream by headers.
 *
 * Its 1.15.2 build fails every streamed request with `TypeError: immutable`: `updateHeaders` appends Portkey's
 * headers to the `Headers` of the upstream's `fetch` Response, which undici makes immutable. The bench runs a
 * patched copy of the built file (written next to it, so its imports resolve the same) in which `updateHeaders`
 * first wraps the Response in a new one with a fresh `Headers` object, and its caller uses that Response.
 * Nothing else changes; JSON requests take the same path, patched or not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort, startChild, waitForLine, type Child } from './harness.ts';

const BUILD = join(ROOT, 'node_modules', '@portkey-ai', 'gateway', 'build');
const ORIGINAL = join(BUILD, 'start-server.js');
const PATCHED = join(BUILD, 'start-server.rialto-bench-patched.js');

/** The two edits, each of which must match exactly once in the built file. */
const PATCHES: { from: string; to: string }[] = [
  // The caller keeps the Response that updateHeaders returns (it ignored it).
  {
    from: 'this.updateHeaders(i,n.cacheStatus,o),{response:i,',
    to: 'i=this.updateHeaders(i,n.cacheStatus,o),{response:i,',
  },
  // updateHeaders works on a copy of the Response whose headers are a fresh, mutable Headers object.
  {
    from: 'updateHeaders(e,t,a){return e.headers.append(',
    to: 'updateHeaders(e,t,a){e=new Response(e.body,{status:e.status,statusText:e.statusText,headers:new Headers(e.headers)});return e.headers.append(',
  },
];

export const PORTKEY_NOTE =
  "Portkey: @portkey-ai/gateway 1.15.2 fails every streamed request with 'TypeError: immutable' (its own bug);\n" +
  'the bench runs its built file patched to give updateHeaders a fresh Headers object (bench/portkey.ts).';

/** Writes the patched copy of Portkey's built server; throws if the build is not the one the patch was made for. */
function writePatchedBuild(): string {
  let source = readFileSync(ORIGINAL, 'utf8');
  for (const { from, to } of PATCHES) {
    const count = source.split(from).length - 1;
    if (count !== 1)
      throw new Error(
        `Portkey's build changed: '${from.slice(0, 40)}…' found ${count} times in ${ORIGINAL} (the patch is for 1.15.2)`,
      );
    source = source.replace(from, to);
  }
  writeFileSync(PATCHED, source);
  return PATCHED;
}

export interface Portkey {
  child: Child;
  origin: string;
  version: string;
}

/** Starts the patched Portkey gateway on a free port; resolves once it says it is ready. */
export async function startPortkey(): Promise<Portkey> {
  const version = (
    JSON.parse(readFileSync(join(BUILD, '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const script = writePatchedBuild();
  const port = await freePort();
  // NODE_ENV=production: no UI, no log streaming; its logs go to stdout only on errors.
  const child = startChild('Portkey', [script, `--port=${port}`, '--headless'], {
    ...process.env,
    NODE_ENV: 'production',
  });
  await waitForLine(child, /Ready for connections/, 30_000);
  return { child, origin: `http://127.0.0.1:${port}`, version };
}

/** The headers that route a Portkey request to an OpenAI-compatible server at `upstreamOrigin`. */
export function portkeyHeaders(upstreamOrigin: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: 'Bearer bench-unused',
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${upstreamOrigin}/v1`,
  };
}
