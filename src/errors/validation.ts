import { z } from 'zod';
import { VeniceError } from './venice-error.ts';

// Venice validates with zod 3; its messages are what clients match on
// ("Unrecognized key(s) in object: 'safe_mode'", docs/guides/media/image-generation.mdx; "Required").
z.config({
  customError(issue) {
    if (issue.code === 'unrecognized_keys') {
      return `Unrecognized key(s) in object: ${issue.keys.map((key) => `'${key}'`).join(', ')}`;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) return 'Required';
    return undefined;
  },
});

/** Parses `input` with `schema`, or throws the 400 DetailedError with zod's `details` and `issues`. */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidRequest(result.error);
}

export function invalidRequest(error: z.ZodError): VeniceError {
  return new VeniceError('INVALID_REQUEST', {
    extra: {
      details: z.formatError(error),
      issues: error.issues.map(({ code, path, message }) => ({ code, path, message })),
    },
  });
}
