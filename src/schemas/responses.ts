import { z } from 'zod';
import { checkRequestSchemas, jsonSchema } from './json-schema.ts';

// swagger: ResponsesRequest (components/schemas). Not strict (INVENTORY §0 "Strict bodies"): unknown keys are dropped.

const imageDetail = z.enum(['auto', 'low', 'high']);
const imageUrl = z.object({ url: z.string(), detail: imageDetail.optional() });

// Typed messages take input_text / input_image / output_text; the "flexible" message (no `type`) also takes
// chat-style text / image_url parts. The flexible variant has no `type` constraint, so the swagger's anyOf
// accepts every part on both: one message schema is the same contract. OpenAI's SDK sends input_image.image_url
// as a string with `detail` beside it, so both forms are read.
const contentPart = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input_text'), text: z.string() }),
  z.object({
    type: z.literal('input_image'),
    image_url: z.union([z.string(), imageUrl]),
    detail: imageDetail.optional(),
  }),
  z.object({
    type: z.literal('output_text'),
    text: z.string(),
    annotations: z.array(z.unknown()).optional(),
  }),
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.union([z.string(), imageUrl]) }),
]);
export type ResponsesContentPart = z.infer<typeof contentPart>;

const itemStatus = z.enum(['completed', 'in_progress']);

const messageItem = z.object({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPart)]),
  id: z.string().optional(),
  status: itemStatus.optional(),
});

// summary is string[] in the swagger; OpenAI's items carry {type: "summary_text", text}: both are read.
const reasoningItem = z.object({
  type: z.literal('reasoning'),
  id: z.string().nullish(),
  summary: z.array(z.union([z.string(), z.object({ text: z.string() })])).nullish(),
  content: z.union([z.string(), z.array(z.unknown())]).nullish(),
  encrypted_content: z.string().nullish(),
  status: itemStatus.nullish(),
});

const functionCallItem = z.object({
  type: z.literal('function_call'),
  id: z.string().optional(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: itemStatus.optional(),
});

const functionCallOutputItem = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string(),
  output: z.union([
    z.string(),
    z.array(z.unknown()),
    z.record(z.string(), z.unknown()),
    z.number(),
    z.boolean(),
    z.null(),
  ]),
});

const itemReference = z.object({ type: z.literal('item_reference'), id: z.string() });

export const responsesInputItem = z.union([
  messageItem,
  reasoningItem,
  functionCallItem,
  functionCallOutputItem,
  itemReference,
]);
export type ResponsesInputItem = z.infer<typeof responsesInputItem>;

const functionName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Function names use letters, digits, _ and -, at most 64');

// swagger: Function Tool is nested chat-style (INVENTORY §1.7); OpenAI's SDK sends the flat shape. Both are read.
const functionTool = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: functionName,
        description: z.string().optional(),
        parameters: jsonSchema.optional(),
        strict: z.boolean().optional(),
      })
      .optional(),
    name: functionName.optional(),
    description: z.string().nullish(),
    parameters: jsonSchema.nullish(),
    strict: z.boolean().nullish(),
  })
  .refine((tool) => tool.function !== undefined || tool.name !== undefined, {
    message: "A function tool needs function.name (or OpenAI's flat name)",
  });
// web_search, x_search, code_interpreter, file_search, computer_use_preview and the Generic Tool: the generic
// {type} catches every built-in tool whatever its fields, so their field constraints never reject a body.
// Aborting on `function` leaves a function tool's own issues (its name, its parameters' schema) as the union's answer.
const builtInTool = z.object({
  type: z.string().refine((type) => type !== 'function', { abort: true }),
});
export const responsesTool = z.union([functionTool, builtInTool]);
export type ResponsesTool = z.infer<typeof responsesTool>;

export const responsesToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
  z.object({ type: z.literal('function'), name: z.string() }), // OpenAI's shape
]);

export const responsesRequest = z
  .object({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(responsesInputItem)]),
    include: z.array(z.string()).optional(),
    max_output_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    fallbacks: z
      .array(z.object({ model: z.string() }))
      .max(10)
      .optional(),
    reasoning: z
      .object({
        effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).optional(),
        summary: z.enum(['auto', 'concise', 'detailed']).optional(),
      })
      .nullish(),
    tools: z.array(responsesTool).optional(),
    tool_choice: responsesToolChoice.optional(),
    web_search: z.boolean().optional(),
    stream: z.boolean().optional(),
    venice_parameters: z
      .object({
        character_slug: z.string().optional(),
        enable_e2ee: z.boolean().optional(),
        enable_web_search: z.enum(['auto', 'off', 'on']).optional(),
        enable_web_scraping: z.boolean().optional(),
        enable_web_citations: z.boolean().optional(),
        include_venice_system_prompt: z.boolean().optional(),
        include_search_results_in_stream: z.boolean().optional(),
      })
      .optional(),
    // OpenAI's fields the swagger does not list, read because OpenAI clients (Codex CLI) depend on them:
    // `instructions` is the system prompt; `previous_response_id` needs stored state and is refused.
    instructions: z.string().nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    previous_response_id: z.string().nullish(),
  })
  .superRefine((request, context) => {
    const parameters = (request.tools ?? []).flatMap((tool) =>
      'function' in tool || 'parameters' in tool
        ? [tool.function?.parameters, tool.parameters]
        : [],
    );
    checkRequestSchemas(parameters, context, []);
  });
export type ResponsesRequest = z.infer<typeof responsesRequest>;
