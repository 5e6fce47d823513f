import { createHash, type Hash } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseContentLength, parseContentRange } from './content-range.ts';
import { etagSha256, parseSha256Option } from './etag-sha256.ts';
import { fetchWithRedirects } from './fetch-with-redirects.ts';
import { fileSize } from './file-size.ts';
import { hashFile } from './hash-file.ts';
import { httpErrorMessage } from './http-error-message.ts';
import { isHuggingFaceUrl, parseModelSource } from './model-source.ts';
import { refuseSymbolicLink } from './refuse-symbolic-link.ts';
import { writeBodyToFile, type DownloadProgress } from './write-body-to-file.ts';

export type PullProgress = DownloadProgress;

export interface PullModelOptions {
  source: string;
  modelsDirectory: string;
  // Expected sha256 (hex). Without it, a 64-hex X-Linked-Etag / ETag from the server is used.
  sha256?: string;
  // Aborting keeps `<file>.partial`, so the next pull resumes it.
  signal?: AbortSignal;
  // Called at most ~10 times a second, and once more when the body is complete.
  onProgress?: (progress: PullProgress) => void;
  fetchImpl?: typeof fetch;
}

export interface PullModelResult {
  path: string;
  bytes: number;
  sha256: string;
  // true when bytes from an earlier, interrupted pull were kept.
  resumed: boolean;
}

interface Downloaded {
  bytes: number;
  hash: Hash;
  expectedSha256: string | null;
  resumed: boolean;
}

// Returned by one attempt when the partial file cannot be continued and must be fetched anew.
const RESTART = Symbol('restart');

// Downloads a model into `<modelsDirectory>/<fileName>`. Contract: the final name only ever holds
// a complete (and, when a sha256 is known, verified) file: bytes land in `<fileName>.partial`,
// which is renamed atomically at the end. One pull per file at a time.
export async function pullModel(options: PullModelOptions): Promise<PullModelResult> {
  const source = parseModelSource(options.source);
  const explicitSha256 = parseSha256Option(options.sha256);
  await mkdir(options.modelsDirectory, { recursive: true });
  const path = join(options.modelsDirectory, source.fileName);
  const partialPath = `${path}.partial`;
  await refuseSymbolicLink(path);
  await refuseSymbolicLink(partialPath);

  if ((await fileSize(path)) !== null) {
    const { hash, bytes } = await hashFile(path, options.signal);
    const sha256 = hash.digest('hex');
    // Without an expected hash the file is trusted: it only got its name after a complete download.
    if (explicitSha256 === null || sha256 === explicitSha256)
      return { path, bytes, sha256, resumed: false };
  }

  for (let attempt = 0; attempt < 3; attempt += 1) {
    const downloaded = await downloadOnce(options, source.url, partialPath, explicitSha256);
    if (downloaded === RESTART) {
      await rm(partialPath, { force: true });
      continue;
    }
    const sha256 = downloaded.hash.digest('hex');
    if (downloaded.expectedSha256 !== null && sha256 !== downloaded.expectedSha256) {
      await rm(partialPath, { force: true });
      const expected = downloaded.expectedSha256;
      throw new Error(
        `sha256 mismatch for ${source.fileName}: expected ${expected}, got ${sha256}; the download was deleted`,
      );
    }
    await rename(partialPath, path);
    return { path, bytes: downloaded.bytes, sha256, resumed: downloaded.resumed };
  }
  throw new Error(
    `Could not resume or restart the download of ${source.url}: the server keeps answering with inconsistent ranges`,
  );
}

// One request: continues, completes or restarts `partialPath`. Throws on failure, keeping what was received.
async function downloadOnce(
  options: PullModelOptions,
  url: string,
  partialPath: string,
  explicitSha256: string | null,
): Promise<Downloaded | typeof RESTART> {
  const partialSize = (await fileSize(partialPath)) ?? 0;
  // Hash the kept prefix before asking for the rest, so the connection never idles meanwhile.
  const prefixHash = partialSize > 0 ? (await hashFile(partialPath, options.signal)).hash : null;
  // identity: a compressed transfer would make byte ranges and sizes refer to the wrong bytes.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'rialto' };
  if (partialSize > 0) headers['range'] = `bytes=${partialSize}-`;
  const fromHuggingFace = isHuggingFaceUrl(url);
  const token = process.env['HF_TOKEN'];
  const request: Parameters<typeof fetchWithRedirects>[1] = {
    headers,
    fetchImpl: options.fetchImpl ?? fetch,
  };
  if (options.signal !== undefined) request.signal = options.signal;
  if (fromHuggingFace && token) request.authorization = `Bearer ${token}`;
  const { response, linkedEtag, linkedSize } = await fetchWithRedirects(url, request).catch(
    (error: unknown) => {
      if (options.signal?.aborted) throw error;
      // fetch only says "fetch failed"; the reason (ECONNREFUSED, DNS...) is in its cause.
      const reason =
        error instanceof Error && error.cause instanceof Error
          ? error.cause.message
          : String(error);
      throw new Error(`Could not reach ${url}: ${reason}`, { cause: error });
    },
  );
  const expectedSha256 =
    explicitSha256 ?? etagSha256(linkedEtag) ?? etagSha256(response.headers.get('etag'));
  const contentRange = parseContentRange(response.headers.get('content-range'));

  if (response.status === 416 && prefixHash !== null) {
    // "Range Not Satisfiable": the partial may simply be complete already.
    await response.body?.cancel();
    const total = contentRange?.total ?? linkedSize;
    return total === partialSize
      ? { bytes: partialSize, hash: prefixHash, expectedSha256, resumed: true }
      : RESTART;
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new Error(
      httpErrorMessage(response.status, response.statusText, url, fromHuggingFace, Boolean(token)),
    );
  }
  const contentLength = parseContentLength(response.headers.get('content-length'));
  let totalBytes = contentLength ?? linkedSize;
  // A 200 to a ranged request means the server ignores ranges: the file is started over.
  let hash = createHash('sha256');
  const resumed = response.status === 206;
  if (resumed) {
    if (prefixHash === null || contentRange?.start !== partialSize) {
      await response.body.cancel();
      return RESTART;
    }
    hash = prefixHash;
    totalBytes =
      contentRange.total ??
      linkedSize ??
      (contentLength === null ? null : partialSize + contentLength);
  }
  const writeOptions: Parameters<typeof writeBodyToFile>[0] = {
    body: response.body,
    path: partialPath,
    append: resumed,
    hash,
    startBytes: resumed ? partialSize : 0,
    totalBytes,
  };
  if (options.signal !== undefined) writeOptions.signal = options.signal;
  if (options.onProgress !== undefined) writeOptions.onProgress = options.onProgress;
  let bytes: number;
  try {
    bytes = await writeBodyToFile(writeOptions);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const kept = (await fileSize(partialPath)) ?? 0;
    throw new Error(
      `Download of ${url} was interrupted after ${kept} bytes; run the same pull again to resume`,
      { cause: error },
    );
  }
  if (totalBytes !== null && bytes < totalBytes) {
    throw new Error(
      `Download of ${url} ended after ${bytes} of ${totalBytes} bytes; run the same pull again to resume`,
    );
  }
  if (totalBytes !== null && bytes > totalBytes) {
    await rm(partialPath, { force: true });
    throw new Error(
      `Download of ${url} produced ${bytes} bytes but the server announced ${totalBytes}; the download was deleted`,
    );
  }
  return { bytes, hash, expectedSha256, resumed };
}
