// Hugging Face serves LFS files with `X-Linked-Etag: "<sha256 of the file>"`; other servers use
// ETags for anything (MD5s, inode-mtime pairs). Only a bare 64-hex value is trusted as a sha256.

export function etagSha256(etag: string | null): string | null {
  if (etag === null) return null;
  const unquoted = etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
  return /^[0-9a-f]{64}$/i.test(unquoted) ? unquoted.toLowerCase() : null;
}

// Validates a user-given sha256 (e.g. `--sha256`), case-insensitively; null when none was given.
export function parseSha256Option(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(trimmed))
    throw new Error(`Invalid sha256 "${value}": expected 64 hexadecimal characters`);
  return trimmed;
}
