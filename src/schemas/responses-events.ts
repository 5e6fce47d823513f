import { z } from 'zod';
import { outputText, responseOutputItem, responsesResponse } from './responses-response.ts';

// OpenAI's Responses stream events, those Rialto writes (the swagger describes no stream for POST /responses).
// Each carries `sequence_number`, its place in the stream.

const at = {
  sequence_number: z.number().int(),
  item_id: z.string(),
  output_index: z.number().int(),
};
const summaryPart = z.object({ type: z.literal('summary_text'), text: z.string() });

/** The error event's own fields; `error` is the error renderer's object (its extra fields are open). */
export const responseErrorFields = z.object({
  code: z.string(),
  message: z.string(),
  error: z.record(z.string(), z.unknown()),
});

export const responsesStreamEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal(['response.created', 'response.in_progress', 'response.completed']),
    sequence_number: z.number().int(),
    response: responsesResponse,
  }),
  z.object({
    type: z.literal(['response.output_item.added', 'response.output_item.done']),
    sequence_number: z.number().int(),
    output_index: z.number().int(),
    item: responseOutputItem,
  }),
  z.object({
    type: z.literal([
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_part.done',
    ]),
    ...at,
    summary_index: z.number().int(),
    part: summaryPart,
  }),
  z.object({
    type: z.literal('response.reasoning_summary_text.delta'),
    ...at,
    summary_index: z.number().int(),
    delta: z.string(),
  }),
  z.object({
    type: z.literal('response.reasoning_summary_text.done'),
    ...at,
    summary_index: z.number().int(),
    text: z.string(),
  }),
  z.object({
    type: z.literal(['response.content_part.added', 'response.content_part.done']),
    ...at,
    content_index: z.number().int(),
    part: outputText,
  }),
  z.object({
    type: z.literal('response.output_text.delta'),
    ...at,
    content_index: z.number().int(),
    delta: z.string(),
    logprobs: z.array(z.never()),
  }),
  z.object({
    type: z.literal('response.output_text.done'),
    ...at,
    content_index: z.number().int(),
    text: z.string(),
    logprobs: z.array(z.never()),
  }),
  z.object({ type: z.literal('response.function_call_arguments.delta'), ...at, delta: z.string() }),
  z.object({
    type: z.literal('response.function_call_arguments.done'),
    ...at,
    name: z.string(),
    arguments: z.string(),
  }),
  // A failure after the first event: OpenAI's {code, message} and Venice's stream error object (which OpenAI's SDK throws).
  responseErrorFields.extend({
    type: z.literal('error'),
    sequence_number: z.number().int(),
    param: z.null(),
  }),
]);

export type ResponseErrorFields = z.infer<typeof responseErrorFields>;
export type ResponsesStreamEvent = z.infer<typeof responsesStreamEvent>;
