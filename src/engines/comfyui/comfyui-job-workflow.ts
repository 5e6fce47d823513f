import type { ComfyUiEngineConfig, ComfyUiNodeInput } from '../../config/comfyui-engine-config.ts';
import type { ApiWorkflow, InputFile, PromptOutputs } from './comfyui-client.ts';
import { JOB_FIELDS, type JobValue } from './comfyui-job-fields.ts';
import { type OutputFile, outputFile } from './comfyui-wire.ts';

type Mapping = ComfyUiEngineConfig['inputs'];

const targetsOf = (target: ComfyUiNodeInput | ComfyUiNodeInput[]): ComfyUiNodeInput[] =>
  Array.isArray(target) ? target : [target];

/**
 * Refuses, at start, a mapping the workflow cannot take: a field the model type does not have (JOB_FIELDS), a
 * node the workflow lacks, or an output node it lacks. Throws an Error that names the problem.
 */
export function checkJobMapping(
  type: 'video' | 'music',
  config: Pick<ComfyUiEngineConfig, 'inputs' | 'outputs'>,
  workflow: ApiWorkflow,
): void {
  const fields: readonly string[] = JOB_FIELDS[type];
  for (const [field, target] of Object.entries(config.inputs)) {
    if (!fields.includes(field))
      throw new Error(`comfyui: ${type} models map only ${fields.join(', ')} (not ${field})`);
    for (const { node } of targetsOf(target))
      if (workflow[node] === undefined)
        throw new Error(`comfyui: inputs.${field} names node ${node}, which the workflow lacks`);
  }
  for (const node of config.outputs)
    if (workflow[node] === undefined)
      throw new Error(`comfyui: output node ${node} is not in the workflow`);
}

/** The frame rate the workflow makes (the number in the node input `fps` maps to), 24 without one. */
export function fpsOf(workflow: ApiWorkflow, mapping: Mapping): number {
  const target = mapping.fps === undefined ? undefined : targetsOf(mapping.fps)[0];
  const value = target === undefined ? undefined : workflow[target.node]?.inputs[target.input];
  return typeof value === 'number' && value > 0 ? value : 24;
}

/**
 * A copy of the workflow with each mapped field's value written into its node inputs; files are uploaded first
 * (`upload` gives the name a loader takes). Fields without a value leave the workflow's own.
 */
export async function buildJobWorkflow(
  workflow: ApiWorkflow,
  mapping: Mapping,
  values: Record<string, JobValue | undefined>,
  upload: (file: InputFile) => Promise<string>,
): Promise<ApiWorkflow> {
  const built = structuredClone(workflow);
  for (const [field, target] of Object.entries(mapping)) {
    const value = values[field];
    if (value === undefined) continue;
    const written = typeof value === 'object' ? await upload(value) : value;
    for (const { node, input } of targetsOf(target)) built[node]!.inputs[input] = written;
  }
  return built;
}

/** ui keys that hold saved files, most specific first (SaveVideo reports under images, SaveAudio under audio). */
const FILE_KEYS = ['videos', 'video', 'gifs', 'audio', 'images'];

/** The first file the output nodes saved, in the order the model lists them. */
export function outputFileOf(
  outputs: PromptOutputs,
  nodes: readonly string[],
): OutputFile | undefined {
  for (const node of nodes) {
    const ui = outputs[node];
    if (ui === undefined) continue;
    for (const key of FILE_KEYS) {
      const files = ui[key];
      if (!Array.isArray(files)) continue;
      for (const candidate of files) {
        const parsed = outputFile.safeParse(candidate);
        if (parsed.success) return parsed.data;
      }
    }
  }
  return undefined;
}

const TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  gif: 'image/gif',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  opus: 'audio/opus',
};

/** The media type of an output: /view's when it names video or audio, else from the file's extension. */
export function mediaTypeOf(file: OutputFile, served: string, kind: 'video' | 'music'): string {
  const type = served.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('video/') || type.startsWith('audio/')) return type;
  const extension = /\.([A-Za-z0-9]+)$/.exec(file.filename)?.[1]?.toLowerCase() ?? '';
  return TYPES[extension] ?? (kind === 'video' ? 'video/mp4' : 'audio/mpeg');
}
