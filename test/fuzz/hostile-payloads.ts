// What the hostile-shapes fuzzer sends: Office archives that unpack to far more than they weigh, JSON schemas nested
// deeper than any parser's recursion should follow, and pages of HTML nested or flat beyond reason, served from
// 127.0.0.1. Bombs are built once per shape and kept: building a 150 MB one takes about 2 s of the test's own CPU,
// which would otherwise count against the server the watchdog is timing (they share the process).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import JSZip from 'jszip';

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

/** The part each format keeps its text in, with one repeated unit of that text. */
const BODIES: Record<OfficeKind, { path: string; head: string; unit: string; tail: string }> = {
  docx: {
    path: 'word/document.xml', unit: '<w:p><w:r><w:t>gondola gondola gondola gondola</w:t></w:r></w:p>', tail: '</w:body></w:document>',
    head: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>',
  },
  xlsx: {
    path: 'xl/worksheets/sheet1.xml', unit: '<row><c t="inlineStr"><is><t>gondola gondola gondola</t></is></c></row>', tail: '</sheetData></worksheet>',
    head: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
  },
  pptx: {
    path: 'ppt/slides/slide1.xml', unit: '<a:p><a:r><a:t>gondola gondola gondola gondola</a:t></a:r></a:p>', tail: '</p:txBody></p:sp></p:spTree></p:cSld></p:sld>',
    head: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>',
  },
};

const RELS: Record<OfficeKind, string> = {
  docx: 'word/document.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument',
  xlsx: 'xl/workbook.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument',
  pptx: 'ppt/presentation.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument',
};

const built = new Map<string, Promise<ArchiveBomb>>();

async function buildArchiveBomb(kind: OfficeKind, unpackedMegabytes: number, entries: number): Promise<ArchiveBomb> {
  const zip = new JSZip();
  const { path, head, unit, tail } = BODIES[kind];
  zip.file('[Content_Types].xml', `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/${path}" ContentType="application/xml"/></Types>`);
  zip.file('_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="${RELS[kind]}"/></Relationships>`);
  if (kind === 'xlsx') zip.file('xl/workbook.xml', '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="a" sheetId="1"/></sheets></workbook>');
  if (kind === 'pptx') zip.file('ppt/presentation.xml', '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>');
  const repeats = Math.max(1, Math.ceil((unpackedMegabytes * 1024 * 1024) / unit.length));
  zip.file(path, Buffer.concat([Buffer.from(head), Buffer.from(unit.repeat(repeats)), Buffer.from(tail)]));
  for (let index = 1; index < entries; index += 1) zip.file(`${kind === 'docx' ? 'word' : kind === 'xlsx' ? 'xl' : 'ppt'}/media/part${index}.xml`, '<a/>');
  const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 1 } });
  const contentType = CONTENT_TYPES[kind];
  return {
    bytes, contentType,
    form: () => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: contentType }), `bomb.${kind}`);
      form.append('response_format', 'json');
      return form;
    },
  };
}

/** An Office file whose main part unpacks to `unpackedMegabytes`, in an archive of `entries` entries. */
export function archiveBomb(kind: OfficeKind, unpackedMegabytes: number, entries: number): Promise<ArchiveBomb> {
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
  const siblings = Array.from({ length: width - 1 }, (_, index) => `,"p${index}":{"type":"string"}`).join('');
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
    const body = match[1] === 'deep'
      ? `<!doctype html><html><head><title>Deep</title></head><body>${'<div>'.repeat(size)}gondola${'</div>'.repeat(size)}</body></html>`
      : `<!doctype html><html><head><title>Flat</title></head><body>${'<p>The gondola glides under the bridge at dusk.</p>'.repeat(Math.ceil((size * 1024) / 52))}</body></html>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    deep: (depth) => `${origin}/deep/${depth}`,
    flat: (kilobytes) => `${origin}/flat/${kilobytes}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
