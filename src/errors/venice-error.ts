import { ERROR_CODES, type ErrorCode } from './codes.ts';

/**
 * The one error type routes and services throw. Status and message come from the error table
 * (errors/codes.ts); `extra` adds endpoint-specific fields to the body (e.g. `details`, `issues`).
 */
export class VeniceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    options: {
      message?: string;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(
      options.message ?? ERROR_CODES[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'VeniceError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  /** The JSON body: StandardError `{ error }` plus any extra fields (swagger: StandardError, DetailedError). */
  toBody(): Record<string, unknown> {
    return { error: this.message, ...this.extra };
  }
}

/**
 * Context overflow: the one error Venice renders in OpenAI's nested shape
 * (docs/api-reference/error-codes.mdx, "OpenAI-style error objects … such as context length errors").
 */
export class ContextLengthError extends VeniceError {
  constructor(readonly param: string = 'messages') {
    super('TOO_MANY_TOKENS');
  }

  override toBody(): Record<string, unknown> {
    return {
      error: {
        message: this.message,
        type: 'invalid_request_error',
        param: this.param,
        code: 'context_length_exceeded',
      },
    };
  }
}
