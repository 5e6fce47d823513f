import { VeniceError } from '../../errors/venice-error.ts';
import type { ChatMessage } from '../../schemas/chat.ts';
import type { UrlFetcher } from '../media/url-fetcher.ts';
import type { ParserPool } from '../parsers/parser-pool.ts';

/** What chat needs to read `file` parts: the request's downloads for URLs, the parser pool for their text. */
export interface FileInputs {
  fetcher: Pick<UrlFetcher, 'fetch'>;
  parsers: ParserPool;
}

/** docs/guides/features/file-inputs.mdx: "The maximum file size is 25MB per file", after decoding or fetching. */
const MAX_FILE_BYTES = 25 * 1024 * 1024;

/** Whether any user message holds a `file` part (read only after the request is admitted: ChatService). */
export function hasFileParts(messages: ChatMessage[]): boolean {
  return messages.some(
    (message) =>
      message.role === 'user' &&
      Array.isArray(message.content) &&
      message.content.some((part) => part.type === 'file'),
  );
}

/** The messages with each `file` part as an empty text part: what the request is checked and admitted on before its files are read. */
export function withoutFileText(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((message) =>
    message.role !== 'user' || !Array.isArray(message.content)
      ? message
      : {
          ...message,
          content: message.content.map((part) =>
            part.type === 'file' ? { type: 'text' as const, text: '' } : part,
          ),
        },
  );
}

/** A refusal's reason: a file refusal gives it on `details.file` (document-errors.ts), others as their message. */
function reasonOf(error: VeniceError): string {
  const issues = error.extra.issues;
  const first: unknown = Array.isArray(issues) ? issues[0] : undefined;
  const message: unknown =
    typeof first === 'object' && first !== null ? Reflect.get(first, 'message') : undefined;
  return typeof message === 'string' ? message : error.message;
}

function invalid(message: string): VeniceError {
  return new VeniceError('INVALID_REQUEST', {
    message,
    extra: { details: { messages: { _errors: [message] } } },
  });
}

/** A data URL's bytes and type; undefined when the string is not a data URL. */
function decodeDataUrl(value: string): { bytes: Buffer; contentType: string } | undefined {
  const match = /^data:([^;,]*)(;base64)?,/.exec(value);
  if (match === null) return undefined;
  const payload = value.slice(match[0].length);
  return {
    bytes:
      match[2] === undefined
        ? Buffer.from(decodeURIComponent(payload), 'utf8')
        : Buffer.from(payload, 'base64'),
    contentType: match[1] ?? '',
  };
}

/**
 * Chat's `file` content parts (docs/guides/features/file-inputs.mdx): each is extracted to text before inference,
 * with the /augment/text-parser extractors on the parser pool, and takes its place as a text part headed by its file
 * name. `file_data` is a data URL or a public http(s) URL (fetched under config.fetch's rules); over 25 MB, unreadable or without
 * text, the request is a 400 naming the file.
 */
export async function resolveFileParts(
  messages: ChatMessage[],
  files: FileInputs | undefined,
  signal: AbortSignal,
): Promise<ChatMessage[]> {
  if (!hasFileParts(messages)) return messages;
  if (files === undefined) throw invalid('File inputs are not supported here.');
  const { fetcher, parsers } = files;
  // The first refusal stops the other downloads and parses: the request is answered 400 either way.
  const stop = new AbortController();
  const linked = AbortSignal.any([signal, stop.signal]);
  try {
    return await readAll(messages, fetcher, parsers, linked);
  } finally {
    stop.abort();
  }
}

function readAll(
  messages: ChatMessage[],
  fetcher: FileInputs['fetcher'],
  parsers: ParserPool,
  signal: AbortSignal,
): Promise<ChatMessage[]> {
  return Promise.all(
    messages.map(async (message) => {
      if (message.role !== 'user' || !Array.isArray(message.content)) return message;
      const content = await Promise.all(
        message.content.map(async (part) => {
          if (part.type !== 'file') return part;
          const name = part.file.filename ?? 'file';
          const source =
            decodeDataUrl(part.file.file_data) ??
            (await fetcher
              .fetch(part.file.file_data, { field: 'file_data', maxBytes: MAX_FILE_BYTES, signal })
              .then(
                ({ bytes, contentType }) => ({ bytes, contentType: contentType ?? '' }),
                (error: unknown) => {
                  if (error instanceof VeniceError && error.code === 'PAYLOAD_TOO_LARGE')
                    throw invalid(`${name} is larger than 25 MB.`);
                  if (error instanceof VeniceError) throw invalid(`${name}: ${error.message}`);
                  throw error;
                },
              ));
          if (source.bytes.length > MAX_FILE_BYTES) throw invalid(`${name} is larger than 25 MB.`);
          let text: string;
          try {
            text = await parsers.extractText(
              {
                bytes: source.bytes,
                ...(part.file.filename === undefined ? {} : { filename: part.file.filename }),
                ...(source.contentType === '' ? {} : { contentType: source.contentType }),
              },
              signal,
            );
          } catch (error) {
            // A busy parser (429) stays what it is; the file's own refusals name the file.
            if (error instanceof VeniceError && error.status === 400)
              throw invalid(`${name}: ${reasonOf(error)}`);
            throw error;
          }
          return {
            type: 'text' as const,
            text: `<file name="${name.replace(/"/g, "'")}">\n${text}\n</file>`,
            ...(part.cache_control === undefined ? {} : { cache_control: part.cache_control }),
          };
        }),
      );
      return { ...message, content };
    }),
  );
}
