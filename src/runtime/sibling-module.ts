import { extname } from 'node:path';

/**
 * Rialto runs either from its TypeScript sources through tsx (a checkout, the tests) or compiled to dist/ (the
 * published package, the container). A worker thread or child process started from a module must run the same
 * form: the `.ts` sibling through tsx's loader (which threads and children do not inherit), or the `.js` sibling
 * with plain Node. The caller's own import.meta.url says which form is running.
 */

/** Whether `base` (an import.meta.url) is a TypeScript source, run through tsx. */
function fromSources(base: string): boolean {
  return extname(new URL(base).pathname) === '.ts';
}

/**
 * The module at `relative` (no extension: './parser-process') next to `base` (the caller's import.meta.url), with
 * the caller's extension: `.ts` from the sources, `.js` in dist/.
 */
export function siblingModule(base: string, relative: string): URL {
  return new URL(`${relative}${extname(new URL(base).pathname)}`, base);
}

/**
 * Node arguments for a child process running a sibling of `base`: tsx's loader from the sources (resolved from
 * here, not from the child's cwd), none in dist/, where tsx (a devDependency) may not be installed at all.
 */
export function loaderArguments(base: string): string[] {
  return fromSources(base) ? ['--import', import.meta.resolve('tsx')] : [];
}

/**
 * The source of an `eval: true` worker thread that imports `entry` (from siblingModule), registering tsx's loader
 * first when `entry` is TypeScript.
 */
export function threadBootstrap(entry: URL): string {
  const load = `import(${JSON.stringify(entry.href)})`;
  if (!fromSources(entry.href)) return load;
  return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return ${load}; });`;
}
