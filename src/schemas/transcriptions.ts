import { z } from 'zod';

/** The upload limit of /audio/transcriptions (INVENTORY §1.4). */
export const MAX_TRANSCRIPTION_FILE_BYTES = 25 * 1024 * 1024;

// swagger: CreateTranscriptionRequestSchema, additionalProperties: false. Multipart fields arrive as
// strings; a field sent twice arrives as an array and is refused. `model` defaults to the first asr
// model (the swagger's default names a hosted model). srt, vtt and verbose_json are documented in
// docs/guides/media/speech-to-text.mdx though the swagger's enum lists only json and text.
export const createTranscriptionRequest = z.strictObject({
  file: z.instanceof(Buffer, { error: (issue) => (issue.input === undefined ? 'Required' : 'Expected an audio file part, not a text field') }),
  model: z.string().min(1).optional(),
  response_format: z.enum(['json', 'text', 'srt', 'vtt', 'verbose_json']).default('json'),
  timestamps: z.stringbool().default(false),
  language: z.string().min(1).optional(),
});
export type CreateTranscriptionRequest = z.infer<typeof createTranscriptionRequest>;
export type TranscriptionFormat = CreateTranscriptionRequest['response_format'];
