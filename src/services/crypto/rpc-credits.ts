import { fieldsOf } from '../../engines/upstream/upstream-answer.ts';
import { type JsonRpcCall, jsonRpcAnswer } from '../../schemas/crypto-rpc.ts';

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
 * Credits of a node's answer to `calls`: each answer item with an `error` at errorCredits, with a result at its
 * call's credits (matched by id, in order for equal ids). A call without an answer item (a notification, which
 * JSON-RPC answers with nothing, or one the node dropped) is billed at its full credits: the node ran it.
 */
export function answeredCredits(
  calls: readonly JsonRpcCall[],
  answer: unknown,
  prices: CallPrices,
): number {
  const items = Array.isArray(answer) ? answer : [answer];
  const unanswered = calls.map((_call, index) => index);
  let total = 0;
  for (const item of items) {
    const fields = fieldsOf(jsonRpcAnswer, item);
    const position = unanswered.findIndex((index) => calls[index]?.id === fields?.id);
    const index = position === -1 ? unanswered[0] : unanswered[position];
    if (index === undefined) break; // more answers than calls: nothing more to bill
    unanswered.splice(position === -1 ? 0 : position, 1);
    total += fields?.error !== undefined ? prices.errorCredits : (prices.credits[index] ?? 0);
  }
  for (const index of unanswered) total += prices.credits[index] ?? 0;
  return total;
}
