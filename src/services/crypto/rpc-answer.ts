import { z } from 'zod';
import { EngineError } from '../../engines/engine-error.ts';
import { fieldsOf } from '../../engines/upstream/upstream-answer.ts';
import type { JsonRpcCall } from '../../schemas/crypto-rpc.ts';

/** How the calls of one request are priced: credits of each by its method, and of an answer that is an error. */
export interface CallPrices {
  /** Credits of `calls[i]` when answered with a result (baseCredits × its tier). */
  credits: readonly number[];
  /** Credits of a call answered with a JSON-RPC error (rpc.mdx, "Per-item batch billing": 5). */
  errorCredits: number;
}

/** The most a request can cost: each call at the dearer of its credits and the error credits. */
export function worstCaseCredits(prices: CallPrices): number {
  return prices.credits.reduce((sum, credits) => sum + Math.max(credits, prices.errorCredits), 0);
}

/**
 * The calls as the node gets them: jsonrpc "2.0", the swagger's members, and the call's position as its id, so
 * that every call (one without an id too, which JSON-RPC would leave unanswered) gets an answer the proxy can
 * match to it, whatever ids the client chose (repeated, or none).
 */
export function forwardedCalls(calls: readonly JsonRpcCall[]): JsonRpcCall[] {
  return calls.map((call, index) => ({
    jsonrpc: '2.0',
    method: call.method,
    ...(call.params === undefined ? {} : { params: call.params }),
    id: index,
  }));
}

// What the proxy reads of one answer item (a node's own extras, such as ganache's `stack`, are dropped).
const answerItem = z.object({
  id: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z
    .object({
      code: z.unknown().optional(),
      message: z.unknown().optional(),
      data: z.unknown().optional(),
    })
    .optional(),
});

export interface RelayedAnswer {
  /** The answer in the swagger's shape, with the client's ids back (none where the client sent none). */
  answer: unknown;
  credits: number;
}

/**
 * The node's answer to `forwardedCalls(calls)`, for the client, and its credits: an item with an `error` at
 * errorCredits, with a result at its call's credits; a call the node left unanswered at errorCredits. Throws
 * EngineError when the answer is not JSON-RPC (a single answer for a batch, or an item that is no object).
 */
export function relayedAnswer(
  calls: readonly JsonRpcCall[],
  batch: boolean,
  answer: unknown,
  prices: CallPrices,
): RelayedAnswer {
  if (Array.isArray(answer) !== batch) throw notJsonRpc();
  const items = (Array.isArray(answer) ? answer : [answer]).map((item) =>
    fieldsOf(answerItem, item),
  );
  const answered = new Set<number>();
  let credits = 0;
  const relabelled = items.map((item) => {
    if (item === undefined) throw notJsonRpc();
    const index =
      typeof item.id === 'number' && calls[item.id] !== undefined && !answered.has(item.id)
        ? item.id
        : -1;
    const clientId = index === -1 ? undefined : calls[index]?.id;
    if (index !== -1) {
      answered.add(index);
      credits += item.error !== undefined ? prices.errorCredits : (prices.credits[index] ?? 0);
    }
    return {
      jsonrpc: '2.0',
      ...(clientId === undefined ? {} : { id: clientId }),
      ...(item.error === undefined
        ? { result: item.result ?? null }
        : { error: errorOf(item.error) }),
    };
  });
  credits += (calls.length - answered.size) * prices.errorCredits;
  return { answer: batch ? relabelled : relabelled[0], credits };
}

/** A JSON-RPC error object: an integer code (-32603, internal error, when the node gave none), a message, data. */
function errorOf(error: NonNullable<z.infer<typeof answerItem>['error']>) {
  return {
    code: Number.isSafeInteger(error.code) ? error.code : -32603,
    message: typeof error.message === 'string' ? error.message : 'Internal error',
    ...(error.data === undefined ? {} : { data: error.data }),
  };
}

function notJsonRpc(): EngineError {
  return new EngineError('failed', 'the RPC node answered something other than JSON-RPC', {
    retryable: false,
  });
}
