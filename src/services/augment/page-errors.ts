import { VeniceError } from '../../errors/venice-error.ts';

/** A page (or URL) /augment/scrape refuses: 400 with the reason on `url` (swagger: /augment/scrape documents no 413 or 422). */
export function pageRefused(message: string, cause?: unknown): VeniceError {
  return new VeniceError('INVALID_REQUEST', {
    message,
    ...(cause === undefined ? {} : { cause }),
    extra: { details: { url: { _errors: [message] } } },
  });
}
