import type { EngineChatRequest } from '../../engines/engine.ts';
import { contextLengthOf, type ModelEntry } from '../model-registry.ts';
import { priceOf, type Cost } from '../pricing.ts';

const TEMPLATE_TOKENS_PER_REQUEST = 16;
const TEMPLATE_TOKENS_PER_MESSAGE = 8;

/**
 * The worst case of a chat request whose prompt is not known yet: its files are not parsed, its web pages not read
 * (reading them is work that only an admitted request may cause). What is known is counted as chat-service.ts
 * counts it without a tokenizer (2 bytes a token); the rest can only grow the prompt up to the model's context,
 * since a longer one is refused. So the prompt is somewhere between the known part and the context, and the cost,
 * linear in the prompt for a given completion allowance, is greatest at one of the two ends.
 */
export function boundedWorstCase(entry: ModelEntry, request: Pick<EngineChatRequest, 'messages' | 'tools' | 'maxTokens' | 'n'>): { cost: Cost; tokens: number } {
  const text = request.messages.map((message) => (typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? ''))).join('\n')
    + (request.tools === undefined ? '' : JSON.stringify(request.tools));
  const known = Math.ceil(Buffer.byteLength(text) / 2) + TEMPLATE_TOKENS_PER_REQUEST + TEMPLATE_TOKENS_PER_MESSAGE * request.messages.length;
  const context = contextLengthOf(entry);
  let usd = 0;
  let diem = 0;
  let tokens = 0;
  for (const promptTokens of [known, Math.max(known, context)]) {
    const completionTokens = request.maxTokens ?? Math.max(0, context - promptTokens);
    const one = priceOf(entry.config.pricing, { promptTokens, completionTokens });
    usd = Math.max(usd, one.usd);
    diem = Math.max(diem, one.diem);
    tokens = Math.max(tokens, promptTokens + completionTokens);
  }
  return { cost: { usd: usd * request.n, diem: diem * request.n }, tokens: tokens * request.n };
}
