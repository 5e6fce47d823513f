import { z } from 'zod';

// Caps on the parsers of untrusted bytes (uploaded documents, scraped pages): see services/parsers/parser-pool.ts.

const MIB = 1024 * 1024;

const archive = z.strictObject({
  /** The most a DOCX/XLSX/PPTX may unpack to, all entries together (a zip bomb unpacks to gigabytes). */
  maxUnpackedBytes: z
    .number()
    .int()
    .positive()
    .default(100 * MIB),
  /** The most entries its zip may hold. */
  maxEntries: z.number().int().positive().default(10_000),
  /** The most one entry of over 1 MiB may grow by when inflated; real OOXML parts stay far below 100:1. */
  maxCompressionRatio: z.number().positive().default(100),
});

const html = z.strictObject({
  /** The most HTML a page may hold to be parsed (pages are fetched up to 5 MB; Markdown and text are not parsed). */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(5 * MIB),
  /** The most elements a page may hold: Readability's work grows faster than the page. */
  maxElements: z.number().int().positive().default(20_000),
  /** The most elements nested in one another (Blink's HTML parser stops nesting at 512; real pages stay under 64). */
  maxDepth: z.number().int().positive().default(128),
});

const ARCHIVE_DEFAULTS = {
  maxUnpackedBytes: 100 * MIB,
  maxEntries: 10_000,
  maxCompressionRatio: 100,
};
const HTML_DEFAULTS = { maxBytes: 5 * MIB, maxElements: 20_000, maxDepth: 128 };

/**
 * The parser pool: processes that parse documents and pages off the event loop, each job under a time limit and
 * each process under a heap limit; a job past either is stopped (its process ends) and answered with a 400.
 */
export const parserConfig = z
  .strictObject({
    /** Parser processes, so jobs at once. */
    workers: z.number().int().min(1).max(64).default(2),
    /** Jobs waiting for a process; past this a request is answered 429 (the parser is busy). */
    queueLength: z.number().int().min(0).default(32),
    /** One job's time in its process. */
    timeoutMs: z.number().int().positive().default(10_000),
    /** A process's JavaScript heap (V8 --max-old-space-size), in MiB; at 64 the loaded parsers alone can exhaust it. */
    memoryMb: z.number().int().min(128).default(512),
    archive: archive.default(ARCHIVE_DEFAULTS),
    html: html.default(HTML_DEFAULTS),
  })
  .default({
    workers: 2,
    queueLength: 32,
    timeoutMs: 10_000,
    memoryMb: 512,
    archive: ARCHIVE_DEFAULTS,
    html: HTML_DEFAULTS,
  });

export type ParserConfig = z.infer<typeof parserConfig>;
export type ArchiveLimits = ParserConfig['archive'];
export type HtmlLimits = ParserConfig['html'];
