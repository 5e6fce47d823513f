import { unreadableFile, unsupportedFile } from './document-errors.ts';
import { decodeText } from './plain-text.ts';
import { zipEntries } from './zip-entries.ts';

export type BinaryFormat = 'pdf' | 'docx' | 'pptx' | 'xlsx';

/** What a file is, with a text file's decoded text. */
export type DocumentFormat = { format: BinaryFormat } | { format: 'text'; text: string };

export interface DocumentFile {
  /** The whole upload, in memory (at most 25 MB: the route's limit); only read. */
  bytes: Buffer;
  /** The upload's file name, as the client gave it. */
  filename?: string | undefined;
  /** The upload part's Content-Type, as the client gave it (often application/octet-stream). */
  contentType?: string | undefined;
}

const NAMED_FORMATS: Record<string, BinaryFormat> = {
  pdf: 'pdf',
  'application/pdf': 'pdf',
  docx: 'docx',
  docm: 'docx',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  pptx: 'pptx',
  pptm: 'pptx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  xlsx: 'xlsx',
  xlsm: 'xlsx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
};

// docs/guides/features/file-inputs.mdx, "Supported File Types": text, data and most common code files.
const TEXT_EXTENSIONS = new Set(
  (
    'txt text md markdown rst adoc org tex csv tsv json jsonl ndjson yaml yml toml ini cfg conf env properties xml ' +
    'html htm css scss less svg log srt vtt js mjs cjs jsx ts mts cts tsx vue svelte py pyi rb go rs java kt kts scala groovy gradle c h cc ' +
    'cpp cxx hpp hh cs fs swift m mm php pl pm lua r jl dart ex exs erl hs elm clj ml sql sh bash zsh fish ps1 psm1 bat cmd ' +
    'dockerfile makefile mk cmake proto graphql gql tf hcl nix zig sol asm'
  ).split(' '),
);
const TEXT_MEDIA_TYPES =
  /^(text\/|application\/(json|ld\+json|xml|javascript|x-javascript|typescript|x-sh|x-yaml|yaml|toml|sql|x-httpd-php)\b)/;

function extensionOf(filename: string | undefined): string {
  const name = (filename ?? '').toLowerCase().split(/[\\/]/).pop() ?? '';
  return name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
}

/**
 * The OOXML package a zip holds, by its part names (read from its central directory: nothing is inflated);
 * undefined for any other zip, or one that is not readable.
 */
function packageFormat(bytes: Buffer): BinaryFormat | undefined {
  const names = (zipEntries(bytes) ?? []).map((entry) => entry.name);
  if (names.some((name) => name.startsWith('word/'))) return 'docx';
  if (names.some((name) => name.startsWith('ppt/'))) return 'pptx';
  if (names.some((name) => name.startsWith('xl/'))) return 'xlsx';
  return undefined;
}

/**
 * The file's format from its content first: a PDF or zip signature (a zip's part names tell DOCX, PPTX and
 * XLSX apart), else text if the bytes decode as text. Only then its name or Content-Type: a document format
 * the bytes do not match is an unreadable file of that format (400), a text type is read leniently, and
 * anything else is an unsupported file (400).
 */
export async function documentFormat(file: DocumentFile): Promise<DocumentFormat> {
  const { bytes } = file;
  const extension = extensionOf(file.filename);
  const mediaType = (file.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const named = NAMED_FORMATS[extension] ?? NAMED_FORMATS[mediaType];
  if (bytes.subarray(0, 1024).includes('%PDF-')) return { format: 'pdf' };
  if (bytes.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    const format = packageFormat(bytes);
    if (format !== undefined) return { format };
  } else {
    const text = decodeText(bytes, {
      lenient:
        named === undefined && (TEXT_EXTENSIONS.has(extension) || TEXT_MEDIA_TYPES.test(mediaType)),
    });
    if (text !== undefined) return { format: 'text', text };
  }
  if (named !== undefined) throw unreadableFile(named.toUpperCase());
  throw unsupportedFile();
}
