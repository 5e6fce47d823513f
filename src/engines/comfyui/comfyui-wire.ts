import { z } from 'zod';

// ComfyUI's wire shapes (server.py, execution.py), each with just the fields Rialto reads. Unknown fields pass.

/** A workflow in API format: node id → {class_type, inputs}; an input is a value or a link [node id, output]. */
export const apiWorkflow = z.record(
  z.string(),
  z.looseObject({ class_type: z.string(), inputs: z.record(z.string(), z.unknown()) }),
);
export type ApiWorkflow = z.infer<typeof apiWorkflow>;

/** POST /prompt 200: the queued prompt. */
export const promptAnswer = z.object({ prompt_id: z.string().min(1), number: z.number() });

/** One of `node_errors[id].errors` (execution.py validate_inputs). */
const nodeIssue = z.object({
  type: z.string().catch(''),
  message: z.string().catch(''),
  details: z.unknown().optional(),
});

/** POST /prompt 400: `error` (a string in old servers, {type, message, details} now) and `node_errors`. */
export const promptRefusal = z.object({
  error: z
    .union([z.string(), z.object({ type: z.string().catch(''), message: z.string().catch('') })])
    .optional(),
  node_errors: z
    .union([
      z.record(
        z.string(),
        z.object({ class_type: z.string().catch(''), errors: z.array(nodeIssue).catch([]) }),
      ),
      z.array(z.unknown()),
    ])
    .optional()
    .catch(undefined),
});
export type PromptRefusal = z.infer<typeof promptRefusal>;

/** A file a node wrote: what /view takes back (SaveImage, SaveVideo, SaveAudio and most custom savers). */
export const outputFile = z.object({
  filename: z.string().min(1),
  subfolder: z.string().default(''),
  type: z.string().default('output'),
});
export type OutputFile = z.infer<typeof outputFile>;

/** A node's `ui` output: lists of files under keys such as images, gifs, videos, audio; other keys are ignored. */
export const nodeOutput = z.record(z.string(), z.unknown());

/** The execution_error message (execution.py handle_execution_error). */
export const executionErrorData = z.object({
  prompt_id: z.string(),
  node_id: z.string().nullish(),
  node_type: z.string().nullish(),
  exception_type: z.string().catch(''),
  exception_message: z.string().catch(''),
});

/** GET /history/{prompt_id}: {} while unknown (queued or running), else the finished prompt. */
export const historyAnswer = z.record(
  z.string(),
  z.object({
    outputs: z.record(z.string(), nodeOutput).catch({}),
    status: z
      .object({
        status_str: z.string().catch(''),
        completed: z.boolean().catch(false),
        messages: z.array(z.tuple([z.string(), z.unknown()]).rest(z.unknown())).catch([]),
      })
      .optional(),
  }),
);
export type HistoryEntry = z.infer<typeof historyAnswer>[string];

/** GET /queue: queue items are [number, prompt_id, prompt, extra_data, outputs_to_execute]. */
const queueItem = z.tuple([z.number(), z.string()]).rest(z.unknown());
export const queueAnswer = z.object({
  queue_running: z.array(queueItem).catch([]),
  queue_pending: z.array(queueItem).catch([]),
});

/** POST /upload/image: the name to give LoadImage (and the subfolder it went into). */
export const uploadAnswer = z.object({
  name: z.string().min(1),
  subfolder: z.string().default(''),
});

/** A JSON WebSocket message: {type, data}; binary frames are previews and are ignored. */
export const socketMessage = z.object({ type: z.string(), data: z.unknown() });
export const promptEvent = z.object({ prompt_id: z.string() });
export const progressData = z.object({
  prompt_id: z.string(),
  value: z.number(),
  max: z.number().positive(),
});
