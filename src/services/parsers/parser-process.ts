// A parser process of the parser pool (parser-pool.ts): extracts documents' text and reduces pages to Markdown, one
// job at a time, away from the server's event loop and heap. The pool kills it when a job runs past its time; V8
// aborts it when a job runs past its heap (--max-old-space-size); either way only this process dies.
import { VeniceError } from '../../errors/venice-error.ts';
import { htmlToMarkdown } from '../augment/html-to-markdown.ts';
import { extractText } from '../documents/document-text.ts';
import { loadPdfJs } from '../documents/pdf-js.ts';
import type { ParserReply, ParserRequest, ParserProcessLimits } from './parser-messages.ts';

const limits = JSON.parse(process.argv[2] ?? '{}') as ParserProcessLimits;
const reply = (message: ParserReply): void => void process.send?.(message);

async function run({ job }: ParserRequest): Promise<string> {
  if (job.kind === 'page') return htmlToMarkdown(job.html, job.url, limits.html);
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  return extractText(
    { bytes, filename: job.filename, contentType: job.contentType },
    limits.archive,
  );
}

process.on('message', (request: ParserRequest) => {
  run(request).then(
    (text) => reply({ type: 'done', id: request.id, text }),
    (error: unknown) => {
      if (error instanceof VeniceError)
        reply({
          type: 'refused',
          id: request.id,
          code: error.code,
          message: error.message,
          extra: error.extra,
        });
      else
        reply({
          type: 'failed',
          id: request.id,
          message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
    },
  );
});
// The server is gone (or closed the pool): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
// pdfjs loads on first use; loaded here, its load (seconds on a busy machine) does not count against a job's time.
await loadPdfJs();
reply({ type: 'ready' });
