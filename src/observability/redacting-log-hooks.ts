import type { LoggerOptions } from 'pino';
import { redactUrlCredentials } from './url-redaction.ts';

/** How deep a logged object is searched for URLs; log fields are shallow, and a deep one is cut, not walked. */
const MAX_DEPTH = 4;

function redacted(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.includes('@') ? redactUrlCredentials(value) : value;
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (value instanceof Error) {
    // A copy: the error itself may still be thrown or inspected elsewhere.
    const copy = Object.assign(
      Object.create(Object.getPrototypeOf(value) as object) as Error,
      value,
    );
    copy.message = redactUrlCredentials(value.message);
    if (value.stack !== undefined) copy.stack = redactUrlCredentials(value.stack);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => redacted(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, redacted(item, depth + 1)]),
  );
}

/**
 * The process logger's last line of defence for configured URLs (upstreams, Redis, PostgreSQL, search engines):
 * the places that log one redact it themselves (redactUrlCredentials), and these hooks pass every message and every
 * logged field through the same redaction, so a `user:password@` added by a future log line never reaches the log.
 */
export const redactingLogHooks: Pick<LoggerOptions, 'hooks' | 'formatters'> = {
  hooks: {
    logMethod(args, method) {
      method.apply(
        this,
        args.map((argument) => redacted(argument, 0)) as Parameters<typeof method>,
      );
    },
  },
  formatters: {
    log: (object) => redacted(object, 0) as Record<string, unknown>,
  },
};
