import { z } from 'zod';
import type { UpstreamCompletion } from './upstream-events.ts';

// The fields of a non-streamed chat completion that upstream-events.ts reads (OpenAI's ChatCompletion, with the
// reasoning fields of vLLM, llama.cpp and Ollama), declared as each server may send them: absent or null where
// they may be. An answer of another shape is the upstream's failure, not an empty answer.

const text = z.string().nullable().exactOptional();

const toolCall = z.object({
  index: z.number().exactOptional(),
  id: z.string().exactOptional(),
  // Ollama sends a call's arguments as an object, the others as a JSON string.
  function: z
    .object({
      name: z.string().exactOptional(),
      arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).exactOptional(),
    })
    .exactOptional(),
});

const message = z.object({
  content: text,
  reasoning_content: text,
  reasoning: text,
  tool_calls: z.array(toolCall).nullable().exactOptional(),
});

const choice = z.object({
  index: z.number().exactOptional(),
  message: message.exactOptional(),
  finish_reason: z.string().nullable().exactOptional(),
});

const usage = z.object({
  prompt_tokens: z.number().exactOptional(),
  completion_tokens: z.number().exactOptional(),
  prompt_tokens_details: z
    .object({ cached_tokens: z.number().exactOptional() })
    .nullable()
    .exactOptional(),
  completion_tokens_details: z
    .object({ reasoning_tokens: z.number().exactOptional() })
    .nullable()
    .exactOptional(),
});

const completion = z.object({ choices: z.array(choice), usage: usage.nullable().exactOptional() });

/** The completion in `body`, or undefined when it has not that shape. */
export function completionOf(body: unknown): UpstreamCompletion | undefined {
  const result = completion.safeParse(body);
  return result.success ? result.data : undefined;
}
