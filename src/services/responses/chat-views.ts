import { z } from 'zod';

// The parts of the chat service's output (services/chat/chat-response.ts) that a response is built from:
// read through schemas rather than casts, so a change there fails loudly here (as a 500, not a client's 400).

/** Reads the chat service's output; a mismatch is Rialto's bug, so it throws a plain Error (500 UNKNOWN_ERROR). */
export function readChatOutput<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new Error(
      `the chat service's output does not have the expected shape: ${result.error.message}`,
    );
  return result.data;
}

export const chatUsageView = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().optional() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().optional() }).nullish(),
});
export type ChatUsageView = z.infer<typeof chatUsageView>;

export const costView = z.object({ usd: z.number(), diem: z.number() });
export type CostView = z.infer<typeof costView>;

const toolCallView = z.object({
  id: z.string(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

/** A `chat.completion` body (n = 1). */
export const chatCompletionView = z.object({
  model: z.string(),
  choices: z.array(
    z.object({
      message: z.object({
        content: z.string().nullable(),
        reasoning_content: z.string().nullish(),
        tool_calls: z.array(toolCallView).nullish(),
      }),
      finish_reason: z.string(),
    }),
  ),
  usage: chatUsageView,
  cost: costView.optional(),
});
export type ChatCompletionView = z.infer<typeof chatCompletionView>;

/** A `chat.completion.chunk`: deltas of choice 0, or the last chunk with usage and cost. */
export const chatChunkView = z.object({
  choices: z.array(
    z.object({
      delta: z.object({
        content: z.string().nullish(),
        reasoning_content: z.string().nullish(),
        tool_calls: z
          .array(
            z.object({
              index: z.number(),
              id: z.string().optional(),
              function: z
                .object({ name: z.string().optional(), arguments: z.string().optional() })
                .optional(),
            }),
          )
          .optional(),
      }),
      finish_reason: z.string().nullable(),
    }),
  ),
  usage: chatUsageView.nullish(),
  cost: costView.optional(),
});
export type ChatChunkView = z.infer<typeof chatChunkView>;
