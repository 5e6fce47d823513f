// Turns what the user typed after `rialto pull` into a URL to fetch and the file name to save under.
// Contract: `fileName` is always a single, safe path segment, so a pull can never write outside
// the models folder whatever the source (URL-encoded `../`, backslashes, NUL bytes...).

export interface ModelSource {
  url: string;
  fileName: string;
}

export const DEFAULT_HUGGING_FACE_ENDPOINT = 'https://huggingface.co';

type Environment = Readonly<Record<string, string | undefined>>;

// RIALTO_HF_ENDPOINT wins, then the standard HF_ENDPOINT, so mirrors and tests can redirect `hf:`.
export function huggingFaceEndpoint(environment: Environment = process.env): string {
  const configured =
    environment['RIALTO_HF_ENDPOINT'] ||
    environment['HF_ENDPOINT'] ||
    DEFAULT_HUGGING_FACE_ENDPOINT;
  let parsed: URL;
  try {
    parsed = new URL(configured);
  } catch {
    throw new Error(
      `Hugging Face endpoint "${configured}" is not a valid URL (check RIALTO_HF_ENDPOINT / HF_ENDPOINT)`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`Hugging Face endpoint "${configured}" must be an http(s) URL`);
  }
  return parsed.href.replace(/\/+$/, '');
}

// True when `url` is served by the configured Hugging Face endpoint (the only host that gets HF_TOKEN).
export function isHuggingFaceUrl(url: string, environment: Environment = process.env): boolean {
  return new URL(url).origin === new URL(huggingFaceEndpoint(environment)).origin;
}

export function parseModelSource(
  source: string,
  environment: Environment = process.env,
): ModelSource {
  const trimmed = source.trim();
  if (trimmed.startsWith('hf:')) return parseHuggingFaceSource(trimmed, environment);
  if (/^https?:\/\//i.test(trimmed)) return parseUrlSource(trimmed);
  throw new Error(
    `Unsupported model source "${source}": expected an http(s):// URL or hf:owner/repo[@revision]/path/to/file.gguf`,
  );
}

function parseUrlSource(source: string): ModelSource {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new Error(`Invalid model URL "${source}"`);
  }
  // The name comes from the raw (still encoded) last segment, decoded once: "%2e%2e%2f" must be
  // seen as "../" here, not silently normalised away by the URL parser.
  const rawSegment = url.pathname.split('/').pop() ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawSegment);
  } catch {
    throw new Error(`Model URL "${source}" has a malformed percent-encoded file name`);
  }
  if (decoded === '') throw new Error(`Model URL "${source}" does not end with a file name`);
  return { url: url.href, fileName: checkedFileName(decoded, source) };
}

const REPOSITORY_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function parseHuggingFaceSource(source: string, environment: Environment): ModelSource {
  const usage = 'expected hf:owner/repo[@revision]/path/to/file.gguf';
  const segments = source.slice('hf:'.length).split('/');
  const [owner, repositoryAndRevision, ...filePath] = segments;
  if (owner === undefined || repositoryAndRevision === undefined || filePath.length === 0) {
    throw new Error(`Invalid Hugging Face source "${source}": ${usage}`);
  }
  const [repository = '', revision = 'main', ...extra] = repositoryAndRevision.split('@');
  if (
    extra.length > 0 ||
    !REPOSITORY_PART.test(owner) ||
    !REPOSITORY_PART.test(repository) ||
    !REVISION.test(revision)
  ) {
    throw new Error(`Invalid Hugging Face repository in "${source}": ${usage}`);
  }
  // Reject rather than normalise: "a/b/../../x.gguf" is an attempt to escape, not a typo.
  for (const segment of filePath) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\')) {
      throw new Error(
        `Invalid file path in Hugging Face source "${source}": empty, "." or ".." segments are not allowed`,
      );
    }
  }
  const fileName = checkedFileName(filePath[filePath.length - 1] ?? '', source);
  const encodedPath = filePath.map(encodeURIComponent).join('/');
  const url = `${huggingFaceEndpoint(environment)}/${owner}/${repository}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
  return { url, fileName };
}

// Returns `name` when it is one plain file name; throws on anything that could name another path.
function checkedFileName(name: string, source: string): string {
  if (name.includes('/') || name.includes('\\') || name.includes('..')) {
    throw new Error(
      `Refusing model source "${source}": file name "${name}" contains a path separator or ".."`,
    );
  }
  // Control characters (NUL, newlines) never belong in a file name; trimming spaces avoids
  // names that look identical in a listing.
  const cleaned = name.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (cleaned === '' || cleaned === '.')
    throw new Error(`Refusing model source "${source}": empty file name`);
  // 240 leaves room for the ".partial" suffix within the usual 255-byte file name limit.
  if (Buffer.byteLength(cleaned) > 240)
    throw new Error(`Refusing model source "${source}": file name too long`);
  return cleaned;
}
