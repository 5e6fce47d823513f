import { z } from 'zod';
import { checkRequestSchemas, jsonSchema } from './json-schema.ts';

// swagger: ChatCompletionRequest (components/schemas), additionalProperties: false.

const cacheControl = z.object({ type: z.literal('ephemeral'), ttl: z.string().optional() });

const textPart = z.object({
  type: z.literal('text'),
  text: z.string().min(1),
  cache_control: cacheControl.optional(),
});
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.string().optional() }),
  cache_control: cacheControl.optional(),
});
const audioPart = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({
    data: z.string(),
    format: z
      .enum(['wav', 'mp3', 'aiff', 'aac', 'ogg', 'flac', 'm4a', 'pcm16', 'pcm24'])
      .default('wav'),
  }),
  cache_control: cacheControl.optional(),
});
const videoPart = z.object({
  type: z.literal('video_url'),
  video_url: z.object({ url: z.string().min(1) }),
  cache_control: cacheControl.optional(),
});
const filePart = z.object({
  type: z.literal('file'),
  file: z.object({ file_data: z.string(), filename: z.string().optional() }),
  cache_control: cacheControl.optional(),
});

export const userContentPart = z.discriminatedUnion('type', [
  textPart,
  imagePart,
  audioPart,
  videoPart,
  filePart,
]);
export type UserContentPart = z.infer<typeof userContentPart>;

const textContent = z.union([z.string(), z.array(textPart)]);

const userMessage = z.object({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(userContentPart)]),
  name: z.string().nullish(),
});
const systemMessage = z.object({
  role: z.literal('system'),
  content: textContent,
  name: z.string().nullish(),
});
const developerMessage = z.object({
  role: z.literal('developer'),
  content: textContent,
  name: z.string().nullish(),
});

export const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
  index: z.number().int().optional(),
});
export type ToolCall = z.infer<typeof toolCall>;

const assistantMessage = z.object({
  role: z.literal('assistant'),
  // "Must have either content or tool_calls" (swagger: Assistant Message).
  content: z.union([z.string(), z.array(textPart)]).nullish(),
  name: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  reasoning_details: z.array(z.object({ type: z.string() }).passthrough()).optional(),
  thought_signature: z.string().nullish(),
  tool_calls: z.array(toolCall).nullish(),
});
const toolMessage = z.object({
  role: z.literal('tool'),
  content: z.union([z.string(), z.array(textPart)]),
  tool_call_id: z.string(),
  name: z.string().nullish(),
  reasoning_content: z.string().nullish(),
  tool_calls: z.array(toolCall).nullish(),
});

export const chatMessage = z.discriminatedUnion('role', [
  userMessage,
  assistantMessage,
  toolMessage,
  systemMessage,
  developerMessage,
]);
export type ChatMessage = z.infer<typeof chatMessage>;

export const functionTool = z.object({
  type: z.literal('function').default('function'),
  id: z.string().optional(),
  function: z.object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Function names use letters, digits, _ and -, at most 64'),
    description: z.string().optional(),
    parameters: jsonSchema.optional(),
    strict: z.boolean().optional(),
  }),
});
export type FunctionTool = z.infer<typeof functionTool>;

const builtinTool = z.object({ type: z.enum(['web_search', 'x_search']) });

const reasoningEffort = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

// swagger: enable_web_search enum "auto" | "off" | "on"; clients also send booleans.
const webSearchMode = z.union([
  z.enum(['auto', 'off', 'on']),
  z.boolean().transform((flag) => (flag ? 'on' : 'off')),
]);

// swagger: ChatCompletionRequest.venice_parameters (defaults applied by the chat service, not here,
// so the feature suffix can fill what the body leaves out).
export const veniceParameters = z.strictObject({
  character_slug: z.string().optional(),
  strip_thinking_response: z.boolean().optional(),
  disable_thinking: z.boolean().optional(),
  enable_e2ee: z.boolean().optional(),
  enable_web_search: webSearchMode.optional(),
  enable_web_scraping: z.boolean().optional(),
  enable_web_citations: z.boolean().optional(),
  include_search_results_in_stream: z.boolean().optional(),
  return_search_results_as_documents: z.boolean().optional(),
  include_venice_system_prompt: z.boolean().optional(),
  enable_x_search: z.boolean().optional(),
});
export type VeniceParameters = z.infer<typeof veniceParameters>;

const responseFormat = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z
      .object({
        name: z.string().optional(),
        schema: jsonSchema.optional(),
        strict: z.boolean().nullish(),
        description: z.string().optional(),
      })
      .passthrough(),
  }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({ type: z.literal('text') }),
]);

const toolChoice = z.union([
  z.string(),
  z.object({ type: z.string(), function: z.object({ name: z.string() }) }),
]);

export const chatCompletionRequest = z
  .strictObject({
    model: z.string().min(1),
    messages: z.array(chatMessage).min(1),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    repetition_penalty: z.number().min(0).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    min_p: z.number().min(0).max(1).optional(),
    min_temp: z.number().min(0).max(2).optional(),
    max_temp: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().nullish(),
    max_completion_tokens: z.number().int().nullish(),
    n: z.number().int().min(1).max(16).default(1),
    seed: z.number().int().positive().optional(),
    stop: z.union([z.string(), z.array(z.string()).min(1).max(4)]).nullish(),
    stop_token_ids: z.array(z.number()).optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: z.number().int().min(0).max(20).optional(),
    stream: z.boolean().default(false),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    response_format: responseFormat.optional(),
    tools: z.array(z.union([builtinTool, functionTool])).nullish(),
    tool_choice: toolChoice.optional(),
    parallel_tool_calls: z.boolean().default(true),
    // `enabled` is not in the swagger, but the reasoning guide sends it (INVENTORY §12 #3).
    reasoning: z
      .object({
        effort: reasoningEffort.optional(),
        summary: z.enum(['auto', 'concise', 'detailed']).optional(),
        enabled: z.boolean().optional(),
      })
      .optional(),
    reasoning_effort: reasoningEffort.optional(),
    prompt_cache_key: z.string().optional(),
    prompt_cache_retention: z.enum(['default', 'extended', '24h']).optional(),
    verbosity: z.enum(['low', 'medium', 'high', 'auto']).optional(),
    text: z.object({ verbosity: z.enum(['low', 'medium', 'high', 'auto']).optional() }).optional(),
    include: z.array(z.string()).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    store: z.boolean().optional(),
    user: z.string().optional(),
    fallbacks: z
      .array(z.object({ model: z.string() }))
      .max(10)
      .optional(),
    venice_parameters: veniceParameters.optional(),
  })
  .superRefine((request, context) => {
    const format = request.response_format;
    const parameters = (request.tools ?? []).map((tool) =>
      'function' in tool ? tool.function.parameters : undefined,
    );
    checkRequestSchemas(
      [...parameters, format?.type === 'json_schema' ? format.json_schema.schema : undefined],
      context,
      [],
    );
  });
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;
