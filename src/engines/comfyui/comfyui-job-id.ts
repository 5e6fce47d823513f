import { z } from 'zod';
import { endpointIdentity } from '../upstream/upstream-endpoint.ts';

/**
 * Everything needed to find a ComfyUI prompt again, kept as the job's engine id: a worker in any process (this
 * one after a restart included) polls it from this alone, so a prompt still running is picked up by its id and
 * never queued twice. The endpoint is stored as its identity (its URL without user information): the id is in
 * the database, and holds no credentials.
 */
export interface ComfyUiJobId {
  /** UpstreamEndpoint.identity of the ComfyUI that queued the prompt (a prompt id means nothing to the others). */
  endpoint: string;
  promptId: string;
  /** The client id the prompt was queued with (its WebSocket events go to that client). */
  clientId: string;
}

const stored = z.object({
  comfyui: z.string(),
  prompt_id: z.string().min(1),
  client_id: z.string().min(1),
});

export function encodeComfyUiJobId(id: ComfyUiJobId): string {
  return JSON.stringify({
    comfyui: endpointIdentity(id.endpoint),
    prompt_id: id.promptId,
    client_id: id.clientId,
  });
}

/** The id encodeComfyUiJobId wrote, or undefined for anything else. */
export function decodeComfyUiJobId(engineJobId: string): ComfyUiJobId | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(engineJobId);
  } catch {
    return undefined;
  }
  const result = stored.safeParse(parsed);
  if (!result.success) return undefined;
  return {
    endpoint: endpointIdentity(result.data.comfyui),
    promptId: result.data.prompt_id,
    clientId: result.data.client_id,
  };
}
