import { ContextLengthError, VeniceError } from '../errors/venice-error.ts';

/** `content_policy`: the upstream refused the prompt or image under its content policy. */
export type EngineFailure =
  | 'overloaded'
  | 'capacity'
  | 'offline'
  | 'timeout'
  | 'context_length'
  | 'bad_request'
  | 'content_policy'
  | 'failed';

/**
 * What an upstream answered, when its answer is the failure. Its `message` may quote the request back (some servers
 * echo the prompt, the operator's system prompt included): it is never sent to the client, and logged only with
 * logging.includeContent (http/error-renderer.ts, logClientError).
 */
export interface UpstreamAnswer {
  /** The endpoint's name or host (never its URL: that may hold credentials). */
  endpoint: string;
  status: number;
  message: string;
}

/** What engines throw. `retryable` means another endpoint (or a later try) may succeed. */
export class EngineError extends Error {
  constructor(
    readonly failure: EngineFailure,
    message: string,
    readonly options: {
      retryable?: boolean;
      status?: number;
      cause?: unknown;
      upstream?: UpstreamAnswer;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
  }

  get retryable(): boolean {
    return (
      this.options.retryable ??
      (this.failure === 'overloaded' || this.failure === 'capacity' || this.failure === 'offline')
    );
  }
}

/** The one mapping from engine failures to Venice errors (STYLE.md, Errors). */
export function toVeniceError(error: EngineError, contextParam = 'messages'): VeniceError {
  switch (error.failure) {
    case 'overloaded':
      return new VeniceError('MODEL_OVERLOADED', { cause: error });
    case 'capacity':
      return new VeniceError('MODEL_AT_CAPACITY', { cause: error });
    case 'offline':
      return new VeniceError('MODEL_OFFLINE', { cause: error });
    case 'timeout':
      return new VeniceError('REQUEST_TIMEOUT', { cause: error });
    case 'context_length':
      return new ContextLengthError(contextParam);
    // An engine's own refusal says what was wrong; an upstream's words stay out of the answer (UpstreamAnswer).
    case 'bad_request':
      return new VeniceError('INVALID_REQUEST', {
        ...(error.options.upstream === undefined ? { message: error.message } : {}),
        cause: error,
      });
    case 'content_policy':
      return new VeniceError('CONTENT_POLICY_VIOLATION', { cause: error });
    case 'failed':
      return new VeniceError('INFERENCE_FAILED', { cause: error });
  }
}
