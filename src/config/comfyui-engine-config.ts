import { z } from 'zod';
import { upstreamEndpoint } from './engine-config.ts';

/** One node input a request field is written into: the node's id in the API-format workflow, and the input's name. */
export const comfyUiNodeInput = z.strictObject({
  node: z.string().min(1),
  input: z.string().min(1),
});
export type ComfyUiNodeInput = z.infer<typeof comfyUiNodeInput>;

/**
 * A ComfyUI server (or several: a prompt goes to the one with the shortest queue) running one workflow per model
 * (engines/comfyui/). `workflow` is the workflow exported in API format ("Export (API)"); `inputs` maps Venice's
 * request fields onto its node inputs (a field may go into several nodes: give a list); `outputs` names the nodes
 * whose files are the result (SaveImage, SaveVideo, SaveAudio …). The fields a model type takes are listed in
 * engines/comfyui/comfyui-fields.ts; an unknown field is refused at start.
 */
export const comfyUiEngine = z.strictObject({
  kind: z.literal('comfyui'),
  endpoints: z.array(upstreamEndpoint).min(1),
  /** The API-format workflow JSON: absolute, or relative to the working directory. */
  workflow: z.string().min(1),
  inputs: z
    .record(z.string(), z.union([comfyUiNodeInput, z.array(comfyUiNodeInput).min(1)]))
    .default({}),
  /** Node ids whose saved files are the result, in order. */
  outputs: z.array(z.string().min(1)).min(1),
  /** The longest a prompt may take, queue included (then it is cancelled: REQUEST_TIMEOUT). */
  timeoutMs: z.number().int().positive().default(600_000),
  maxConnections: z.number().int().positive().default(8),
  /** How often /history is polled while the WebSocket is down. */
  pollIntervalMs: z.number().int().positive().default(1000),
});
export type ComfyUiEngineConfig = z.infer<typeof comfyUiEngine>;
