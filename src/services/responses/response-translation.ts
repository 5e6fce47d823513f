import type { ResponseErrorFields } from '../../schemas/responses-events.ts';
import type { ResponseOutputItem, ResponsesResponse } from '../../schemas/responses-response.ts';
import {
  chatChunkView,
  readChatOutput,
  type ChatCompletionView,
  type ChatUsageView,
  type CostView,
} from './chat-views.ts';
import { OutputAssembler, type ResponseEvent } from './output-assembler.ts';
import {
  functionCallItem,
  messageItem,
  newId,
  outputText,
  reasoningItem,
  reasoningTokensOf,
  responseBody,
  usageOf,
  type ResponseIdentity,
} from './response-object.ts';

/** Counts tokens of a text with the serving model's tokenizer (or its engine's estimate). */
export type TokenCounter = (text: string) => Promise<number>;

/**
 * A `chat.completion` as a `response`: reasoning, then the message (when there is text, or nothing else),
 * then one function_call item per tool call, whose call_id is the chat tool call's id.
 */
export async function responseOfCompletion(
  completion: ChatCompletionView,
  identity: ResponseIdentity,
  count: TokenCounter,
): Promise<ResponsesResponse> {
  const choice = completion.choices[0];
  const reasoning = choice?.message.reasoning_content ?? '';
  const content = choice?.message.content ?? '';
  const calls = choice?.message.tool_calls ?? [];
  const output: ResponseOutputItem[] = [];
  if (reasoning !== '') output.push(reasoningItem(newId('rs'), reasoning));
  if (content !== '' || calls.length === 0)
    output.push(messageItem(newId('msg'), [outputText(content)], 'completed'));
  for (const call of calls)
    output.push(
      functionCallItem(
        newId('fc'),
        call.id,
        call.function.name,
        call.function.arguments,
        'completed',
      ),
    );
  const usage = usageOf(
    completion.usage,
    await reasoningTokensOf(completion.usage, reasoning, count),
  );
  return responseBody(identity, {
    status: 'completed',
    output,
    usage,
    ...(completion.cost === undefined ? {} : { cost: completion.cost }),
    truncated: choice?.finish_reason === 'length',
  });
}

/**
 * `chat.completion.chunk`s as OpenAI's Responses stream: response.created and response.in_progress, the
 * output items' events (OutputAssembler), then response.completed with the whole response, usage and cost.
 * A failure after the first event becomes one `error` event (OpenAI's fields, and Venice's `error` object
 * that makes OpenAI's SDK throw) and the stream ends.
 */
export async function* responseEventsOfChunks(
  chunks: AsyncIterable<unknown>,
  identity: ResponseIdentity,
  count: TokenCounter,
  errorFields: (error: unknown) => ResponseErrorFields,
): AsyncGenerator<ResponseEvent> {
  const output = new OutputAssembler();
  yield output.event({
    type: 'response.created',
    response: responseBody(identity, { status: 'in_progress', output: [] }),
  });
  yield output.event({
    type: 'response.in_progress',
    response: responseBody(identity, { status: 'in_progress', output: [] }),
  });
  try {
    let usage: ChatUsageView | undefined;
    let cost: CostView | undefined;
    let truncated = false;
    for await (const raw of chunks) {
      const chunk = readChatOutput(chatChunkView, raw);
      for (const choice of chunk.choices) {
        yield* output.textDelta('reasoning', choice.delta.reasoning_content ?? '');
        yield* output.textDelta('message', choice.delta.content ?? '');
        for (const call of choice.delta.tool_calls ?? []) yield* output.toolCallDelta(call);
        if (choice.finish_reason === 'length') truncated = true;
      }
      usage = chunk.usage ?? usage;
      cost = chunk.cost ?? cost;
    }
    yield* output.finish();
    if (usage === undefined) throw new Error('the chat stream ended without its usage chunk');
    const state = {
      status: 'completed' as const,
      output: output.items,
      usage: usageOf(usage, await reasoningTokensOf(usage, output.reasoning, count)),
      truncated,
    };
    yield output.event({
      type: 'response.completed',
      response: responseBody(identity, cost === undefined ? state : { ...state, cost }),
    });
  } catch (error) {
    yield output.event({ type: 'error', param: null, ...errorFields(error) });
  }
}
