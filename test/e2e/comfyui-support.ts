// What the ComfyUI tests share: the example workflows of examples/comfyui and the rialto.yaml `inputs` that map
// Venice's fields onto their nodes (as examples/comfyui/rialto-*.yaml does), for the unit tests of the engines and
// the end-to-end tests alike.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiWorkflow } from '../../src/engines/comfyui/comfyui-client.ts';

const EXAMPLES = new URL('../../examples/comfyui/', import.meta.url);

/** An example workflow (API format) of examples/comfyui, parsed. */
export function exampleWorkflow(name: string): ApiWorkflow {
  return JSON.parse(readFileSync(new URL(name, EXAMPLES), 'utf8')) as ApiWorkflow;
}

/** Wan 2.1 text-to-video (wan-2.1-text-to-video.json): Venice's video fields → its nodes. */
export const WAN_VIDEO_INPUTS = {
  prompt: { node: '6', input: 'text' },
  negative_prompt: { node: '7', input: 'text' },
  seed: { node: '3', input: 'seed' },
  width: { node: '40', input: 'width' },
  height: { node: '40', input: 'height' },
  length: { node: '40', input: 'length' },
  fps: { node: '49', input: 'fps' },
};

/** ACE-Step (ace-step-music.json): Venice's music fields → its nodes. */
export const ACE_MUSIC_INPUTS = {
  prompt: { node: '14', input: 'tags' },
  lyrics: { node: '14', input: 'lyrics' },
  duration: { node: '17', input: 'seconds' },
  seed: { node: '52', input: 'seed' },
};

/**
 * The Wan and ACE-Step examples written to a new folder for a rialto.yaml to name: Wan at 4 fps (fewer frames for
 * the double to paint: 5 s is 21 frames), each sampler at `steps` (each a progress event, `stepMs` apart on the double).
 */
export function writeExampleWorkflows(steps: { video: number; music?: number }): {
  folder: string;
  video: string;
  music: string;
} {
  const folder = mkdtempSync(join(tmpdir(), 'rialto-comfyui-workflows-'));
  const wan = exampleWorkflow('wan-2.1-text-to-video.json');
  wan['49']!.inputs.fps = 4;
  wan['3']!.inputs.steps = steps.video;
  const ace = exampleWorkflow('ace-step-music.json');
  if (steps.music !== undefined) ace['52']!.inputs.steps = steps.music;
  const video = join(folder, 'wan.json');
  const music = join(folder, 'ace.json');
  writeFileSync(video, JSON.stringify(wan));
  writeFileSync(music, JSON.stringify(ace));
  return { folder, video, music };
}
