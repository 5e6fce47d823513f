// What the hostile-shapes fuzzer sends: Office archives that unpack to far more than they weigh (the parsers' own
// bombs, test/fixtures/document-bombs.ts, optionally with thousands of extra entries), JSON schemas nested deeper than
// any parser's recursion should follow, and pages of HTML nested or flat beyond reason, served from 127.0.0.1.
// Bombs are built once per shape and kept: building one takes the test's own CPU, which would otherwise count
// against the server the watchdog is timing (they share the process).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  deepPage,
  docxBomb,
  flatPage,
  pptxBomb,
  withExtraParts,
  xlsxBomb,
} from '../fixtures/document-bombs.ts';

export type OfficeKind = 'docx' | 'xlsx' | 'pptx';

export interface ArchiveBomb {
  bytes: Buffer;
  contentType: string;
  /** The /augment/text-parser form with this file. */
  form(): FormData;
}

const CONTENT_TYPES: Record<OfficeKind, string> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

const built = new Map<string, Promise<ArchiveBomb>>();

const BOMBS: Record<OfficeKind, (unpackedBytes: number) => Promise<Buffer>> = {
  docx: docxBomb,
  xlsx: xlsxBomb,
  pptx: pptxBomb,
};

async function buildArchiveBomb(
  kind: OfficeKind,
  unpackedMegabytes: number,
  entries: number,
): Promise<ArchiveBomb> {
  const bomb = await BOMBS[kind](unpackedMegabytes * 1024 * 1024);
  const bytes = entries > 1 ? await withExtraParts(bomb, entries - 1) : bomb;
  const contentType = CONTENT_TYPES[kind];
  return {
    bytes,
    contentType,
    form: () => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: contentType }), `bomb.${kind}`);
      form.append('response_format', 'json');
      return form;
    },
  };
}

/** An Office file whose main part unpacks to `unpackedMegabytes`, in an archive of `entries` entries. */
export function archiveBomb(
  kind: OfficeKind,
  unpackedMegabytes: number,
  entries: number,
): Promise<ArchiveBomb> {
  const key = `${kind}/${unpackedMegabytes}/${entries}`;
  const bomb = built.get(key) ?? buildArchiveBomb(kind, unpackedMegabytes, entries);
  built.set(key, bomb);
  return bomb;
}

/**
 * The JSON text of an object schema nested `depth` deep (each level one property holding the next) with `width`
 * string properties beside it at the top. Written as text: JSON.stringify recurses, and would overflow first.
 */
export function deepSchema(depth: number, width: number): string {
  const siblings = Array.from(
    { length: width - 1 },
    (_, index) => `,"p${index}":{"type":"string"}`,
  ).join('');
  return `${'{"type":"object","properties":{"next":'.repeat(depth)}{"type":"string"}${'}}'.repeat(depth - 1)}${siblings}}}`;
}

export interface HostilePages {
  /** A page of `depth` nested <div>s around one word. */
  deep(depth: number): string;
  /** A page of about `kilobytes` KB of flat paragraphs. */
  flat(kilobytes: number): string;
  close(): Promise<void>;
}

export async function hostilePages(): Promise<HostilePages> {
  const server = createServer((request, response) => {
    const match = /^\/(deep|flat)\/(\d+)$/.exec(request.url ?? '');
    if (match === null) return void response.writeHead(404).end();
    const size = Number(match[2]);
    const body = match[1] === 'deep' ? deepPage(size) : flatPage(size * 1024);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    deep: (depth) => `${origin}/deep/${depth}`,
    flat: (kilobytes) => `${origin}/flat/${kilobytes}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
