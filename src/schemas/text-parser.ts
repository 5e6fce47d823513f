import { z } from 'zod';

/** swagger: /augment/text-parser `file`, "Maximum size: 25MB." */
export const MAX_TEXT_PARSER_FILE_BYTES = 25 * 1024 * 1024;

// swagger: /augment/text-parser requestBody (multipart/form-data). Not strict (INVENTORY: TextParser has no
// additionalProperties: false): other fields are ignored. A field sent twice arrives as an array and is refused.
export const textParserRequest = z.object({
  file: z.instanceof(Buffer, {
    error: (issue) =>
      issue.input === undefined ? 'Required' : 'Expected a file part, not a text field',
  }),
  response_format: z.enum(['json', 'text']).default('json'),
});
export type TextParserRequest = z.infer<typeof textParserRequest>;
