import type { EngineChatRequest } from '../../engines/engine.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import { engineFor } from '../../engines/engine-for.ts';
import type { ModelEntry } from '../model-registry.ts';
import { normalizeEvents, splitsThinkTags } from './chat-events.ts';

/**
 * enable_web_search "auto": "Auto will enable it based on the model's discretion" (swagger). The same model is asked
 * first, with this prompt and the user's question, whether a search is needed; a reply starting with "yes" searches.
 * A yes/no question rather than a web_search function offered to the model: it works on every model, including
 * those without function calling, and costs one short answer.
 */
export const DECISION_PROMPT =
  "You decide whether answering the user's message needs a web search. Answer yes when it asks about current " +
  "events, recent or changing facts (news, prices, releases, schedules, weather, people's current roles) or specific facts " +
  'you may not know; answer no for greetings, opinions, creative writing, code, math and settled general knowledge. ' +
  'Reply with one word: yes or no.';
/** One word is asked for; a few tokens leave room for punctuation or a leading space. */
const DECISION_MAX_TOKENS = 16;
/** Reasoning models are asked not to think, but some think anyway (engine.disableThinking: strip): room to reach the answer. */
const DECISION_MAX_TOKENS_REASONING = 512;

/**
 * Whether `question` needs a web search, in the model's own judgement: one non-streamed completion at temperature 0.
 * Not billed to the client (it is the server's way of serving "auto", and it is not metered either). Engine failures
 * become Venice errors, as the chat's own would.
 */
export async function needsWebSearch(
  entry: ModelEntry,
  question: string,
  signal: AbortSignal,
): Promise<boolean> {
  const reasoning = entry.config.capabilities.supportsReasoning;
  const budget = reasoning ? DECISION_MAX_TOKENS_REASONING : DECISION_MAX_TOKENS;
  const request: EngineChatRequest = {
    model: entry.engineModel,
    messages: [
      { role: 'system', content: DECISION_PROMPT },
      { role: 'user', content: question },
    ],
    n: 1,
    stream: false,
    temperature: 0,
    maxTokens: Math.min(budget, entry.config.maxCompletionTokens ?? budget),
    ...(reasoning ? { disableThinking: true } : {}),
  };
  let answer = '';
  try {
    const events = normalizeEvents(engineFor(entry, 'text').streamChat(request, { signal }), {
      splitThinkTags: splitsThinkTags(entry.config),
      stripThinking: true,
    });
    for await (const event of events)
      if (event.type === 'content' && event.choice === 0) answer += event.text;
  } catch (error) {
    throw error instanceof EngineError ? toVeniceError(error) : error;
  }
  return /^\W*yes\b/i.test(answer);
}
