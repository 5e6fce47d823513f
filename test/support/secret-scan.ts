// Test support for the security and privacy suites: capture everything a server logs, and look for secrets or
// markers in logs and files (raw bytes, so a SQLite page or WAL frame counts as much as a log line).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/** A pino destination that keeps every byte written to it. */
export function logCapture(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * The forms a secret can take in a log: as sent, base64 (a Basic Authorization header), percent-encoded (a URL).
 * A JSON-escaped form adds nothing: keys, tokens and markers here are URL-safe.
 */
export function formsOf(secret: string): string[] {
  return [
    ...new Set([
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      encodeURIComponent(secret),
    ]),
  ];
}

/** The labels of the secrets found in `text`, with the form that was found. */
export function leaksIn(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [label, secret] of Object.entries(secrets)) {
    for (const form of formsOf(secret))
      if (text.includes(form)) found.push(`${label} (as ${form === secret ? 'sent' : form})`);
  }
  return found;
}

/** Every regular file under `directory`, recursively, with its raw bytes. */
export function filesUnder(directory: string): { path: string; bytes: Buffer }[] {
  const files: { path: string; bytes: Buffer }[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(path));
    // Symbolic links are not followed: what they point at is scanned where it lives, if at all.
    else if (entry.isFile()) files.push({ path, bytes: readFileSync(path) });
  }
  return files;
}

/** `label in path` for each marker found in any file under `directory`, as UTF-8 or UTF-16 (SQLite may use either). */
export function markersInFiles(directory: string, markers: Record<string, string>): string[] {
  const found: string[] = [];
  for (const { path, bytes } of filesUnder(directory)) {
    for (const [label, marker] of Object.entries(markers)) {
      if (
        bytes.includes(Buffer.from(marker, 'utf8')) ||
        bytes.includes(Buffer.from(marker, 'utf16le'))
      )
        found.push(`${label} in ${path}`);
    }
  }
  return found;
}
