import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file `relative` names inside `root`, or undefined when there is none or the name leaves `root`
 * (`..`, an absolute path, a NUL byte): a request can never read outside the build output.
 */
export async function readConsoleFile(root: string, relative: string): Promise<Buffer | undefined> {
  if (relative.includes('\0')) return undefined;
  const base = resolve(root);
  const path = resolve(base, `.${sep}${relative}`);
  if (!path.startsWith(base + sep)) return undefined;
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() === true ? readFile(path) : undefined;
}
