import { z } from 'zod';

/** The upload limit of /audio/transcriptions (INVENTORY §1.4). */
export const MAX_TRANSCRIPTION_FILE_BYTES = 25 * 1024 * 1024;

// swagger: CreateTranscriptionRequestSchema, additionalProperties: false. Multipart fields arrive as
// strings; a field sent twice arrives as an array and is refused. `model` defaults to the first asr
// model (the swagger's default names a hosted model). srt, vtt and verbose_json are documented in
// docs/guides/media/speech-to-text.mdx though the swagger's enum lists only json and text.
export const createTranscriptionRequest = z.strictObject({
  file: z.instanceof(Buffer, {
    error: (issue) =>
      issue.input === undefined ? 'Required' : 'Expected an audio file part, not a text field',
  }),
  model: z.string().min(1).optional(),
  response_format: z.enum(['json', 'text', 'srt', 'vtt', 'verbose_json']).default('json'),
  timestamps: z.stringbool().default(false),
  language: z.string().min(1).optional(),
});
export type CreateTranscriptionRequest = z.infer<typeof createTranscriptionRequest>;
export type TranscriptionFormat = CreateTranscriptionRequest['response_format'];

const word = z.object({ word: z.string(), start: z.number(), end: z.number() });
const segment = z.object({ text: z.string(), start: z.number(), end: z.number() });

/** swagger: the JSON 200 of POST /audio/transcriptions (createTranscription): response_format json. */
export const transcriptionResponse = z.object({
  text: z.string(),
  duration: z.number(),
  timestamps: z.object({ word: z.array(word), segment: z.array(segment) }).optional(),
});
export type TranscriptionResponse = z.infer<typeof transcriptionResponse>;

/** response_format verbose_json: OpenAI's verbose transcription (docs/guides/media/speech-to-text.mdx; not in the swagger). */
export const verboseTranscriptionResponse = z.object({
  task: z.literal('transcribe'),
  language: z.string(),
  duration: z.number(),
  text: z.string(),
  segments: z.array(segment.extend({ id: z.number().int() })),
  words: z.array(word),
});
export type VerboseTranscriptionResponse = z.infer<typeof verboseTranscriptionResponse>;
