import { EngineError } from '../engine-error.ts';
import { fieldsOf } from '../upstream/upstream-answer.ts';
import { upstreamError } from '../upstream/upstream-errors.ts';
import { executionErrorData, promptRefusal } from './comfyui-wire.ts';

/**
 * A /prompt that ComfyUI refuses (400 with `error` and `node_errors`: an unknown node class, a missing model
 * file, a value out of a node's range) is the operator's workflow or mapping, never the client's request: Rialto
 * checks every client value against the model's constraints before it reaches the workflow. It is therefore a
 * 500 INFERENCE_FAILED (not retried on another endpoint, which holds the same workflow), its words kept for the
 * log only. Other statuses go through the one upstream mapping (429/503 overloaded, 5xx retryable).
 */
export function promptFailure(status: number, body: unknown, endpoint: string): EngineError {
  if (status !== 400) return upstreamError(status, body, endpoint);
  const message = refusalMessage(body);
  return new EngineError('failed', `ComfyUI ${endpoint} refused the workflow: ${message}`, {
    status: 500,
    retryable: false,
    upstream: { endpoint, status, message },
  });
}

/** The refusal in one line: its error, then each node's errors ("#3 KSampler: Value bigger than max: steps"). */
export function refusalMessage(body: unknown): string {
  const refusal = fieldsOf(promptRefusal, body);
  if (refusal === undefined) return typeof body === 'string' ? body.slice(0, 300) : 'no reason';
  const error = refusal.error;
  const head = typeof error === 'string' ? error : (error?.message ?? 'invalid prompt');
  const nodes = Array.isArray(refusal.node_errors) ? {} : (refusal.node_errors ?? {});
  const parts = Object.entries(nodes).map(
    ([id, node]) =>
      `#${id} ${node.class_type}: ${node.errors.map((issue) => `${issue.message}${typeof issue.details === 'string' && issue.details !== '' ? ` (${issue.details})` : ''}`).join(', ')}`,
  );
  return [head, ...parts].join('; ').slice(0, 1000);
}

/**
 * An `execution_error` (a node raised while running: out of memory, a bad tensor shape): the server's or the
 * workflow's failure, a 500 INFERENCE_FAILED. Not retried: the prompt ran, and may have taken its time.
 */
export function executionFailure(data: unknown, endpoint: string): EngineError {
  const error = fieldsOf(executionErrorData, data);
  const where = error?.node_id ? `#${error.node_id} ${error.node_type ?? ''}`.trim() : 'a node';
  const what =
    error === undefined ? 'failed' : `${error.exception_type}: ${error.exception_message}`;
  const message = `${where} ${what}`.slice(0, 1000);
  return new EngineError('failed', `ComfyUI ${endpoint} failed the prompt: ${message}`, {
    status: 500,
    retryable: false,
    upstream: { endpoint, status: 500, message },
  });
}

/** `execution_interrupted` that Rialto did not ask for (someone pressed Cancel in ComfyUI's UI). */
export function interruptedFailure(endpoint: string): EngineError {
  return new EngineError('failed', `ComfyUI ${endpoint} interrupted the prompt`, {
    status: 500,
    retryable: false,
  });
}

/** A body that is not the shape ComfyUI sends. */
export function unexpectedBody(endpoint: string, what: string): EngineError {
  return new EngineError('failed', `ComfyUI ${endpoint} sent an unexpected ${what}`, {
    status: 502,
    retryable: false,
  });
}
