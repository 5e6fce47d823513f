import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ModelEntry } from '../services/model-registry.ts';

/** The API build Rialto implements (swagger info.version), sent as x-venice-version. */
export const VENICE_API_VERSION = '20260821.193530';

/** A CF-RAY-like unique request id: 16 hex digits and Rialto's location code. */
export function newRequestId(): string {
  return `${randomBytes(8).toString('hex')}-RLT`;
}

/** Headers every response carries (docs/api-reference/api-spec.mdx, Response Headers Reference). */
export function baseHeaders(requestId: string): Record<string, string> {
  return {
    'cf-ray': requestId,
    'x-request-id': requestId,
    'x-venice-version': VENICE_API_VERSION,
    'x-venice-timestamp': new Date().toISOString(),
  };
}

/** x-venice-model-* headers of an inference response, including deprecation notices from the model's config. */
export function setModelHeaders(reply: FastifyReply, entry: ModelEntry, servedBy: string): void {
  const { config } = entry;
  reply.header('x-venice-model-id', config.id);
  reply.header('x-venice-model-name', config.name ?? config.id);
  reply.header('x-venice-model-router', servedBy);
  const deprecation = config.deprecation;
  if (deprecation === undefined) return;
  reply.header('x-venice-model-deprecation-warning', deprecation.warning ?? `${config.id} is deprecated and will be removed on ${deprecation.removesAt}.`);
  reply.header('x-venice-model-deprecation-date', deprecation.date);
  reply.header('x-venice-deprecated', 'true');
  if (deprecation.replacementModelId !== undefined) reply.header('x-venice-deprecated-replacement', deprecation.replacementModelId);
}
