import type { EngineChatRequest } from '../../engines/engine.ts';
import { contextLengthOf, type ModelEntry } from '../model-registry.ts';
import { priceOf, type Cost } from '../pricing.ts';

const TEMPLATE_TOKENS_PER_REQUEST = 16;
const TEMPLATE_TOKENS_PER_MESSAGE = 8;

/**
 * The greatest cost (and tokens) of the request over the prompt lengths `ends`: for a given completion allowance
 * (max_tokens, or the rest of the context) the cost is linear in the prompt, so the ends of a range are enough.
 */
function greatestOver(
  entry: ModelEntry,
  request: Pick<EngineChatRequest, 'maxTokens' | 'n'>,
  ends: number[],
): { cost: Cost; tokens: number } {
  const context = contextLengthOf(entry);
  let usd = 0;
  let diem = 0;
  let tokens = 0;
  for (const promptTokens of ends) {
    const completionTokens = request.maxTokens ?? Math.max(0, context - promptTokens);
    const one = priceOf(entry.config.pricing, { promptTokens, completionTokens });
    usd = Math.max(usd, one.usd);
    diem = Math.max(diem, one.diem);
    tokens = Math.max(tokens, promptTokens + completionTokens);
  }
  return { cost: { usd: usd * request.n, diem: diem * request.n }, tokens: tokens * request.n };
}

/**
 * The worst case of a chat request whose prompt is not known yet: its files are not parsed, its web pages not read
 * (reading them is work that only an admitted request may cause). What is known is counted as chat-service.ts
 * counts it without a tokenizer (2 bytes a token); the rest can only grow the prompt up to the model's context,
 * since a longer one is refused. So the prompt is somewhere between the known part and the context, and the cost,
 * linear in the prompt for a given completion allowance, is greatest at one of the two ends.
 */
export function boundedWorstCase(
  entry: ModelEntry,
  request: Pick<EngineChatRequest, 'messages' | 'tools' | 'maxTokens' | 'n'>,
): { cost: Cost; tokens: number } {
  const text =
    request.messages
      .map((message) =>
        typeof message.content === 'string'
          ? message.content
          : JSON.stringify(message.content ?? ''),
      )
      .join('\n') + (request.tools === undefined ? '' : JSON.stringify(request.tools));
  const known =
    Math.ceil(Buffer.byteLength(text) / 2) +
    TEMPLATE_TOKENS_PER_REQUEST +
    TEMPLATE_TOKENS_PER_MESSAGE * request.messages.length;
  const context = contextLengthOf(entry);
  return greatestOver(entry, request, [known, Math.max(known, context)]);
}

/** Whether a message carries media (images, audio, video): their tokens are not counted by the bytes of their text. */
function carriesMedia(message: EngineChatRequest['messages'][number]): boolean {
  return Array.isArray(message.content) && message.content.some((part) => part.type !== 'text');
}

/**
 * The worst case of a chat request before it is tokenised, so that it is admitted and reserved before the tokenizer
 * (or anything else) runs. A token holds at least one byte of UTF-8, so the prompt is at most the bytes of its
 * messages (tool calls and names included) and tools plus what chat templates add; media count up to the context.
 * A prompt longer than the context is refused by the engine before any charge, so the context bounds it too. The
 * completion fills max_tokens, or the rest of the context: the cost, linear in the prompt for a given completion
 * allowance, is greatest at an empty prompt or at the bound. Settled to the engine's actual use.
 */
export function untokenizedWorstCase(
  entry: ModelEntry,
  request: Pick<EngineChatRequest, 'messages' | 'tools' | 'maxTokens' | 'n'>,
): { cost: Cost; tokens: number } {
  const context = contextLengthOf(entry);
  const bytes =
    request.messages.reduce((sum, message) => sum + Buffer.byteLength(JSON.stringify(message)), 0) +
    (request.tools === undefined ? 0 : Buffer.byteLength(JSON.stringify(request.tools)));
  const written =
    bytes + TEMPLATE_TOKENS_PER_REQUEST + TEMPLATE_TOKENS_PER_MESSAGE * request.messages.length;
  const bound = request.messages.some(carriesMedia) ? context : Math.min(written, context);
  return greatestOver(entry, request, [0, bound]);
}
