// What every answer to a fuzzed request must be: a status the swagger documents for the operation (or one of
// the few generic ones Venice documents in error-codes.mdx, each allowed only where its reason applies), never
// a 5xx (the engines behind the fuzzed server are healthy, so a 5xx is Rialto failing on a client's input), a
// 4xx whenever the swagger refuses the request or the key, and a body in the swagger's shape: a Venice error
// body for errors, the documented schema (or chunk schema, for SSE) for successes.
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../src/errors/codes.ts';
import {
  validateChatCompletionChunk,
  validateResponse,
  validateSchema,
} from '../support/spec/spec-validator.ts';
import type { OperationProfile } from './fuzz-profiles.ts';
import type { FuzzRequest } from './fuzz-request.ts';

export interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Venice's not-found codes (error-codes.mdx), documented for every operation there but in few operations' swagger. */
const NOT_FOUND_CODES = ['MODEL_NOT_FOUND', 'MEDIA_NOT_FOUND', 'CHARACTER_NOT_FOUND'] as const;

/** How often each allowance beyond the swagger was used (printed at the end, for the report). */
export const allowancesUsed = new Map<string, number>();

/** generate_web3_key's 400 messages (Venice's guide, "Error reference"; Rialto's own for its rule). */
const WEB3_KEY_REFUSALS = [
  'Invalid wallet address',
  'JWT has expired',
  'JWT signature is invalid',
  'JWT is malformed',
  'Wallet signature does not match',
  'Could not verify wallet signature',
  'Wallet is not on this server',
  'apiKeyType ',
];

/**
 * Why `status`, which the swagger does not document for this operation, is still right for this request;
 * undefined when nothing allows it. Each reason names the code of docs/api-reference/error-codes.mdx.
 */
export function allowanceFor(
  request: FuzzRequest,
  profile: OperationProfile,
  status: number,
  error: unknown,
): string | undefined {
  const { body, operation } = request;
  if (profile.unimplemented !== undefined && status === 404)
    return `404 ROUTE_NOT_FOUND: Rialto has ${profile.unimplemented}`;
  // Fastify reads a body before it knows that no route takes it.
  if (
    profile.unimplemented !== undefined &&
    [400, 413, 415].includes(status) &&
    body.kind === 'raw'
  )
    return `${status}: a malformed body on a route Rialto does not have`;
  if (status === 401 && (request.key === 'none' || request.key === 'bad'))
    return '401 AUTHENTICATION_FAILED: no key or an unknown key';
  if (status === 403 && profile.adminOnly && request.key === 'inference')
    return '403 UNAUTHORIZED: an INFERENCE key on an admin-only operation';
  const notFound =
    typeof error === 'string'
      ? NOT_FOUND_CODES.find((code) => error.startsWith(ERROR_CODES[code].message))
      : undefined;
  if (status === 404 && notFound !== undefined)
    return `404 ${notFound}: a model, job or character that does not exist`;
  if (
    status === 400 &&
    operation.id === 'POST /api_keys/generate_web3_key' &&
    typeof error === 'string' &&
    (WEB3_KEY_REFUSALS.some((message) => error.startsWith(message)) ||
      // Bad UTF-8 in a string (apiKeyType comes first): decoded as U+FFFD, it is no longer a valid value.
      (body.kind === 'raw' && error === 'Invalid request parameters'))
  )
    return "400: a web3 key refusal of Venice's guide (generating-api-key-agent.mdx: a token not issued, a signature not matching, ...)";
  if (status === 400 && operation.id === 'GET /api_keys/{id}' && error === 'API key not found')
    return '400 "API key not found": an id naming no key of the caller (the status PATCH and DELETE /api_keys document for it)';
  const contentType =
    body.kind === 'raw'
      ? body.contentType
      : body.kind === 'json'
        ? 'application/json'
        : body.kind === 'form'
          ? 'multipart/form-data'
          : undefined;
  const documentedType =
    contentType !== undefined &&
    operation.bodies.has(contentType.split(';')[0]!.trim().toLowerCase());
  if (status === 415 && body.kind !== 'none' && !documentedType)
    return '415 INVALID_CONTENT_TYPE: a body in a media type the operation does not take (or with no Content-Type)';
  if (status === 400 && !request.accepted)
    return '400 INVALID_REQUEST: parameters or a body the swagger refuses, on an operation that documents no 400';
  return undefined;
}

function preview(body: Buffer): string {
  const text = body.toString('utf8');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

function parseJson(answer: Answer, what: string): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    assert.fail(`${what} is not JSON (${answer.contentType}): ${preview(answer.body)}`);
  }
}

function checkStream(request: FuzzRequest, answer: Answer): void {
  const events = answer.body
    .toString('utf8')
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== '');
  assert.ok(events.length > 0, 'an empty event stream');
  for (const event of events) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .join('\n');
    if (data === '' || data === '[DONE]') continue;
    const payload = JSON.parse(data) as Record<string, unknown>;
    assert.equal(payload.error, undefined, `an error event in a stream: ${data}`);
    if (request.operation.template === '/chat/completions') validateChatCompletionChunk(payload);
    else assert.equal(typeof payload.type, 'string', `an event without a type: ${data}`);
  }
}

/**
 * /embeddings with encoding_format base64 answers each embedding as a base64 string, as OpenAI does (INVENTORY §1.2,
 * [INFERRED]); the swagger types `embedding` as number[] only. Checked here as a base64 string, then as the numbers.
 */
function base64AsNumbers(request: FuzzRequest, body: unknown): unknown {
  const base64 =
    request.operation.id === 'POST /embeddings' &&
    request.body.kind === 'json' &&
    (request.body.value as { encoding_format?: unknown } | null)?.encoding_format === 'base64';
  if (
    !base64 ||
    typeof body !== 'object' ||
    body === null ||
    !Array.isArray((body as { data?: unknown }).data)
  )
    return body;
  const data = (body as { data: { embedding: unknown }[] }).data.map((item) => {
    assert.match(String(item.embedding), /^[A-Za-z0-9+/]*={0,2}$/, 'a base64 embedding');
    return {
      ...item,
      embedding: [
        ...new Float32Array(new Uint8Array(Buffer.from(String(item.embedding), 'base64')).buffer),
      ],
    };
  });
  return { ...body, data };
}

/** Whether the request must fail: the swagger refuses its parameters or body, or its key is missing, unknown or too weak. */
export function mustFail(request: FuzzRequest, profile: OperationProfile): boolean {
  const keyFits =
    !profile.keyRequired ||
    request.key === 'admin' ||
    (request.key === 'inference' && !profile.adminOnly);
  return !request.accepted || !keyFits;
}

/** Throws (an AssertionError or a SpecValidationError) when the answer breaks the rules above. */
export function checkAnswer(request: FuzzRequest, profile: OperationProfile, answer: Answer): void {
  const { operation } = request;
  const seen = `${answer.status} (${answer.contentType}): ${preview(answer.body)}`;
  assert.ok(answer.status < 500, `a 5xx for a client's request: ${seen}`);
  const unimplemented = profile.unimplemented !== undefined;
  const documented = operation.statuses.has(String(answer.status)) && !unimplemented;
  const parsed =
    answer.status >= 400 && /^application\/json/.test(answer.contentType)
      ? parseJson(answer, 'the error body')
      : undefined;
  const error =
    typeof parsed === 'object' && parsed !== null
      ? (parsed as { error?: unknown }).error
      : undefined;
  const allowance = documented ? undefined : allowanceFor(request, profile, answer.status, error);
  assert.ok(
    documented || allowance !== undefined,
    `${operation.id} does not document ${answer.status} (documented: ${[...operation.statuses].join(', ')}): ${seen}`,
  );
  if (allowance !== undefined)
    allowancesUsed.set(
      `${operation.id} → ${allowance}`,
      (allowancesUsed.get(`${operation.id} → ${allowance}`) ?? 0) + 1,
    );
  if (mustFail(request, profile))
    assert.ok(
      answer.status >= 400,
      `the swagger refuses this request (or its key), yet it was answered ${seen}`,
    );
  const target = {
    method: operation.method,
    path: operation.template,
    status: answer.status,
    contentType: answer.contentType,
  };
  if (answer.status >= 400) {
    assert.match(answer.contentType, /^application\/json/, `an error that is not JSON: ${seen}`);
    const body = parseJson(answer, 'the error body');
    // The swagger's inference 402 is `oneOf [StandardError, X402InferencePaymentRequired]`, and both require only
    // `error`, so an x402 discovery body matches both and fails `oneOf` whatever it holds: check it against the
    // x402 schema itself (as test/e2e/x402-inference.test.ts does).
    const x402Discovery =
      answer.status === 402 &&
      operation.template !== '/x402/top-up' &&
      typeof body === 'object' &&
      body !== null &&
      'x402Version' in body;
    if (x402Discovery) validateSchema('X402InferencePaymentRequired', body);
    else if (documented) validateResponse({ ...target, body });
    else validateSchema('StandardError', body);
    return;
  }
  if (answer.contentType.startsWith('text/event-stream')) return checkStream(request, answer);
  if (/^application\/json/.test(answer.contentType))
    return validateResponse({
      ...target,
      body: base64AsNumbers(request, parseJson(answer, 'the answer')),
    });
  assert.ok(answer.body.length > 0, `an empty ${answer.contentType} answer`);
  validateResponse({
    ...target,
    body: answer.contentType.startsWith('text/') ? answer.body.toString('utf8') : answer.body,
  });
}
