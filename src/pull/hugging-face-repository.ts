// `rialto pull hf:owner/repo[@revision]` (no file path): every file of a Hugging Face model repository, as
// csukuangfj publishes sherpa-onnx models there (csukuangfj/kokoro-multi-lang-v1_0, ...). The file list comes from
// the Hub's API (GET /api/models/<owner>/<repo>/tree/<revision>?recursive=true, paged by a Link rel="next" header);
// each file is fetched by the single-file pull (resumable, sha256 from the LFS id) into a hidden
// `<models>/.<repo>.partial` folder, kept between attempts so a rerun resumes, and renamed to `<models>/<repo>` only
// when every file is there. Paths are checked as archive entries are (no absolute path, no `..`); the number of
// files and their total size are capped before anything is downloaded.
import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { huggingFaceEndpoint } from './model-source.ts';
import { type PullModelOptions, pullModel } from './model-puller.ts';
import {
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_UNPACKED_BYTES,
  safeEntrySegments,
} from './unpack-tar-bz2.ts';

export interface HuggingFaceRepository {
  owner: string;
  repository: string;
  revision: string;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `hf:owner/repo` or `hf:owner/repo@revision` (a trailing slash allowed); undefined for anything else. */
export function parseHuggingFaceRepository(source: string): HuggingFaceRepository | undefined {
  const match = /^hf:([^/]+)\/([^/]+?)\/?$/.exec(source.trim());
  if (match === null) return undefined;
  const owner = match[1] ?? '';
  const [repository = '', revision = 'main', ...extra] = (match[2] ?? '').split('@');
  if (extra.length > 0 || !PART.test(owner) || !PART.test(repository) || !PART.test(revision))
    return undefined;
  return { owner, repository, revision };
}

export interface RepositoryFile {
  path: string;
  size: number;
  sha256: string | undefined;
}

interface TreeItem {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  lfs?: { oid?: unknown } | null;
}

const MAX_LISTING_PAGES = 100;
const MAX_LISTING_BYTES = 16 * 1024 ** 2;

async function readCapped(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new Error(`the Hub's file list is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The repository's files (folders left out), each path checked; throws past the caps. */
export async function listRepositoryFiles(
  repository: HuggingFaceRepository,
  caps: { maxFiles: number; maxBytes: number },
  fetchImpl: typeof fetch = fetch,
): Promise<RepositoryFile[]> {
  const endpoint = huggingFaceEndpoint();
  const name = `${repository.owner}/${repository.repository}`;
  let url: string | undefined =
    `${endpoint}/api/models/${name}/tree/${encodeURIComponent(repository.revision)}?recursive=true`;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'rialto' };
  const token = process.env['HF_TOKEN'];
  if (token) headers['authorization'] = `Bearer ${token}`;
  const files: RepositoryFile[] = [];
  let total = 0;
  for (let page = 0; url !== undefined; page += 1) {
    if (page >= MAX_LISTING_PAGES)
      throw new Error(`${name}: more than ${MAX_LISTING_PAGES} pages of files`);
    const response: Response = await fetchImpl(url, { headers, redirect: 'error' });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(
        `Hugging Face answered ${response.status} listing ${name}@${repository.revision}${
          response.status === 401 || response.status === 404
            ? ' (no such repository or revision, or a private one: set HF_TOKEN)'
            : ''
        }`,
      );
    }
    let items: unknown;
    try {
      items = JSON.parse(await readCapped(response, MAX_LISTING_BYTES));
    } catch (error) {
      throw new Error(
        `Hugging Face's file list for ${name} is not JSON: ${(error as Error).message}`,
      );
    }
    if (!Array.isArray(items))
      throw new Error(`Hugging Face's file list for ${name} is not a list`);
    for (const item of items as TreeItem[]) {
      if (item.type !== 'file') continue;
      if (typeof item.path !== 'string' || typeof item.size !== 'number' || item.size < 0)
        throw new Error(`Hugging Face's file list for ${name} has an entry without a path or size`);
      if (item.path === '.gitattributes') continue;
      const segments = safeEntrySegments(item.path);
      if (segments.length === 0) throw new Error(`${name}: a file without a name`);
      total += item.size;
      const oid = item.lfs?.oid;
      files.push({
        path: segments.join('/'),
        size: item.size,
        sha256: typeof oid === 'string' && /^[0-9a-f]{64}$/.test(oid) ? oid : undefined,
      });
      if (files.length > caps.maxFiles)
        throw new Error(`${name} has more than ${caps.maxFiles} files: refused`);
      if (total > caps.maxBytes)
        throw new Error(`${name} holds more than ${caps.maxBytes} bytes: refused`);
    }
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    // Pages stay on the endpoint's origin: a list cannot send the token elsewhere.
    url =
      next !== undefined && new URL(next, endpoint).origin === new URL(endpoint).origin
        ? new URL(next, endpoint).href
        : undefined;
  }
  if (files.length === 0) throw new Error(`${name}@${repository.revision} has no files`);
  return files;
}

export interface RepositoryPullResult {
  folder: string;
  /** false when the folder was already there. */
  downloaded: boolean;
  files: number;
  bytes: number;
}

export interface RepositoryPullOptions
  extends Pick<PullModelOptions, 'modelsDirectory' | 'signal' | 'onProgress' | 'fetchImpl'> {
  repository: HuggingFaceRepository;
  maxFiles?: number;
  maxBytes?: number;
  /** Called before each file's download. */
  onFile?: (file: RepositoryFile, index: number, count: number) => void;
}

export async function pullHuggingFaceRepository(
  options: RepositoryPullOptions,
): Promise<RepositoryPullResult> {
  const { owner, repository, revision } = options.repository;
  const folder = join(options.modelsDirectory, repository);
  if (await stat(folder).catch(() => null))
    return { folder, downloaded: false, files: 0, bytes: 0 };
  const files = await listRepositoryFiles(
    options.repository,
    {
      maxFiles: options.maxFiles ?? DEFAULT_MAX_ENTRIES,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_UNPACKED_BYTES,
    },
    options.fetchImpl,
  );
  const partial = join(options.modelsDirectory, `.${repository}.partial`);
  let bytes = 0;
  for (const [index, file] of files.entries()) {
    options.onFile?.(file, index, files.length);
    const directory = join(partial, dirname(file.path));
    await mkdir(directory, { recursive: true });
    const pulled = await pullModel({
      source: `hf:${owner}/${repository}@${revision}/${file.path}`,
      modelsDirectory: directory,
      ...(file.sha256 === undefined ? {} : { sha256: file.sha256 }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.fetchImpl === undefined ? {} : { fetchImpl: options.fetchImpl }),
    });
    bytes += pulled.bytes;
  }
  await rename(partial, folder);
  return { folder, downloaded: true, files: files.length, bytes };
}
