// The ComfyUI job engine against the ComfyUI double (a real HTTP + WebSocket server on 127.0.0.1), with the
// example workflows of examples/comfyui: the request mapped into the workflow, progress while it runs, the MP4
// and MP3 out, the history entry deleted; a job found again by a fresh engine (a restarted process) from its
// id alone, without a second /prompt; a failed workflow; a cancelled prompt; a URL input refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import sharp from 'sharp';
import { parse } from 'yaml';
import { type ModelConfig, modelConfigSchema, parseConfig } from '../../config.ts';
import { comfyUiEngine } from '../../config/comfyui-engine-config.ts';
import { type ComfyUiDouble, startComfyUiDouble } from '../../../test/support/comfyui-double.ts';
import { BUILT_IN_NODES } from '../../../test/support/comfyui-double-nodes.ts';
import {
  ACE_MUSIC_INPUTS,
  exampleWorkflow,
  WAN_VIDEO_INPUTS,
} from '../../../test/e2e/comfyui-support.ts';
import type { JobStatus, JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { type ApiWorkflow, ComfyUiClient } from './comfyui-client.ts';
import { ComfyUiJobEngine } from './comfyui-job-engine.ts';
import { decodeComfyUiJobId, encodeComfyUiJobId } from './comfyui-job-id.ts';
import { checkJobMapping } from './comfyui-job-workflow.ts';
import { comfyUiKind } from './comfyui-kind.ts';
import { ComfyUiWorkflow } from './comfyui-workflow.ts';

const WAN = exampleWorkflow('wan-2.1-text-to-video.json');
const ACE = exampleWorkflow('ace-step-music.json');

const call = () => ({ signal: AbortSignal.timeout(20_000) });

async function bytesOf(status: JobStatus): Promise<{ bytes: Buffer; contentType: string }> {
  assert.equal(status.state, 'done', JSON.stringify(status));
  if (status.state !== 'done') throw new Error('not done');
  const chunks: Buffer[] = [];
  for await (const chunk of status.media.body) chunks.push(Buffer.from(chunk));
  return { bytes: Buffer.concat(chunks), contentType: status.media.contentType };
}

describe('ComfyUI job engine (video and music on the ComfyUI double)', () => {
  let double: ComfyUiDouble;
  let video: ModelConfig;
  let music: ModelConfig;
  const engines: ComfyUiJobEngine[] = [];

  const engineFor = (model: ModelConfig, workflow: ApiWorkflow, inputs: object, output: string) => {
    const config = comfyUiEngine.parse({
      kind: 'comfyui',
      endpoints: [{ url: double.url }],
      workflow: 'unused.json',
      inputs,
      outputs: [output],
      timeoutMs: 20_000,
    });
    checkJobMapping(model.type === 'video' ? 'video' : 'music', config, workflow);
    const engine = new ComfyUiJobEngine(
      new ComfyUiClient(config, 25),
      config,
      model,
      workflow,
      pino({ level: 'silent' }),
    );
    engines.push(engine);
    return engine;
  };
  const videoEngine = () => engineFor(video, WAN, WAN_VIDEO_INPUTS, '50');

  before(async () => {
    double = await startComfyUiDouble();
    const base = { engine: { kind: 'venice', endpoints: [{ url: 'http://127.0.0.1:1' }] } };
    video = modelConfigSchema.parse({
      ...base,
      id: 'wan',
      type: 'video',
      videoConstraints: { durations: ['1s', '2s'], resolutions: ['256p'], aspect_ratios: ['16:9'] },
    });
    music = modelConfigSchema.parse({
      ...base,
      id: 'ace',
      type: 'music',
      music: { default_duration: 2, max_duration: 10 },
    });
  });
  after(async () => {
    for (const engine of engines) await engine.close();
    await double.close();
  });

  const videoJob = (request: Record<string, unknown>): JobSubmission => ({
    kind: 'video',
    model: 'wan',
    request: { model: 'wan', duration: '1s', ...request },
  });

  it('video: the request goes into the workflow; progress while it runs; the MP4 out; cleanup deletes the history entry', async () => {
    double.stepMs = 40;
    const engine = videoEngine();
    const job = videoJob({ prompt: 'a gondola at dusk', aspect_ratio: '16:9' });
    const { engineJobId } = await engine.submit(job, call());
    const id = decodeComfyUiJobId(engineJobId)!;
    assert.equal(id.endpoint, double.url);
    const sent = double.submitted.find((prompt) => prompt.promptId === id.promptId)!.prompt;
    assert.equal(sent['6']!.inputs!.text, 'a gondola at dusk');
    assert.deepEqual(
      [sent['40']!.inputs!.width, sent['40']!.inputs!.height, sent['40']!.inputs!.length],
      [448, 256, 17],
    );
    // The workflow's own negative prompt stays when the request has none.
    assert.equal(sent['7']!.inputs!.text, WAN['7']!.inputs.text);
    let status = await engine.poll(job, engineJobId, call());
    const progress: number[] = [];
    while (status.state === 'running') {
      if (status.progress !== undefined) progress.push(status.progress);
      await new Promise((resolve) => setTimeout(resolve, 30));
      status = await engine.poll(job, engineJobId, call());
    }
    double.stepMs = 2;
    assert.ok(
      progress.some((value) => value > 0 && value < 1),
      `progress seen: ${progress.join(', ')}`,
    );
    const { bytes, contentType } = await bytesOf(status);
    assert.equal(contentType, 'video/mp4');
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    await engine.cleanup(job, engineJobId, call());
    assert.ok(double.historyDeletions.includes(id.promptId));
    assert.equal(double.history.has(id.promptId), false);
  });

  it('music: prompt, lyrics and duration into the ACE-Step workflow; an MP3 out', async () => {
    const engine = engineFor(music, ACE, ACE_MUSIC_INPUTS, '59');
    const job: JobSubmission = {
      kind: 'music',
      model: 'ace',
      request: { model: 'ace', prompt: 'calm piano', duration_seconds: 1 },
    };
    const { engineJobId } = await engine.submit(job, call());
    const { promptId } = decodeComfyUiJobId(engineJobId)!;
    const sent = double.submitted.find((prompt) => prompt.promptId === promptId)!.prompt;
    assert.deepEqual(
      [sent['14']!.inputs!.tags, sent['14']!.inputs!.lyrics, sent['17']!.inputs!.seconds],
      ['calm piano', '[instrumental]', 1],
    );
    let status = await engine.poll(job, engineJobId, call());
    while (status.state === 'running') status = await engine.poll(job, engineJobId, call());
    const { bytes, contentType } = await bytesOf(status);
    assert.equal(contentType, 'audio/mpeg');
    assert.ok(bytes.length > 1000);
  });

  it('a fresh engine (a restarted process) finds a running prompt by its id: no second /prompt, its progress again', async () => {
    double.paused = true;
    const job = videoJob({ prompt: 'resumed after a restart' });
    // The engine that queued it stops following it, as a killed process would.
    const first = videoEngine();
    const { engineJobId } = await first.submit(job, call());
    (first as unknown as { watched: Map<string, { stop: AbortController }> }).watched.forEach(
      ({ stop }) => stop.abort(),
    );
    const submittedBefore = double.submitted.length;
    const fresh = videoEngine();
    assert.deepEqual(await fresh.poll(job, engineJobId, call()), { state: 'running', progress: 0 });
    double.stepMs = 40;
    double.resume();
    const progress: number[] = [];
    let status = await fresh.poll(job, engineJobId, call());
    while (status.state === 'running') {
      if (status.progress !== undefined) progress.push(status.progress);
      await new Promise((resolve) => setTimeout(resolve, 30));
      status = await fresh.poll(job, engineJobId, call());
    }
    double.stepMs = 2;
    await bytesOf(status);
    assert.equal(double.submitted.length, submittedBefore);
    assert.ok(
      progress.some((value) => value > 0 && value < 1),
      `progress seen: ${progress.join(', ')}`,
    );
  });

  it('a node that raises fails the job with a reason that names no server file; the history entry is a failure', async () => {
    double.failNode = '3';
    const engine = videoEngine();
    const job = videoJob({ prompt: 'this one breaks' });
    const { engineJobId } = await engine.submit(job, call());
    let status = await engine.poll(job, engineJobId, call());
    while (status.state === 'running') status = await engine.poll(job, engineJobId, call());
    double.failNode = undefined;
    assert.equal(status.state, 'failed');
    assert.deepEqual(status, {
      state: 'failed',
      reason: 'The ComfyUI workflow failed; nothing was generated.',
      moderation: false,
    });
  });

  it('cancel: a waiting prompt leaves the queue; a running one is interrupted', async () => {
    double.paused = true;
    const engine = videoEngine();
    const job = videoJob({ prompt: 'never wanted' });
    const { engineJobId } = await engine.submit(job, call());
    const { promptId } = decodeComfyUiJobId(engineJobId)!;
    await engine.cancel(job, engineJobId);
    assert.ok(double.deletions.includes(promptId));
    double.stepMs = 200;
    double.resume();
    const running = videoJob({ prompt: 'stopped half way' });
    const second = await engine.submit(running, call());
    const secondId = decodeComfyUiJobId(second.engineJobId)!.promptId;
    while ((await engine.poll(running, second.engineJobId, call())).state === 'running') {
      if (double.running?.promptId === secondId) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await engine.cancel(running, second.engineJobId);
    double.stepMs = 2;
    assert.ok(double.interrupts.some((interrupt) => interrupt.promptId === secondId));
  });

  it('image-to-video: image_url (a data URL) is uploaded under a name of its own and written into LoadImage', async () => {
    const i2v = structuredClone(WAN);
    i2v['52'] = { class_type: 'LoadImage', inputs: { image: 'example.png' } };
    i2v['41'] = {
      class_type: 'WanImageToVideo',
      inputs: {
        positive: ['6', 0],
        negative: ['7', 0],
        vae: ['39', 0],
        start_image: ['52', 0],
        width: 832,
        height: 480,
        length: 33,
        batch_size: 1,
      },
    };
    i2v['3']!.inputs = {
      ...i2v['3']!.inputs,
      positive: ['41', 0],
      negative: ['41', 1],
      latent_image: ['41', 2],
    };
    delete i2v['40'];
    const engine = engineFor(
      video,
      i2v,
      {
        prompt: { node: '6', input: 'text' },
        image: { node: '52', input: 'image' },
        width: { node: '41', input: 'width' },
        height: { node: '41', input: 'height' },
        length: { node: '41', input: 'length' },
        fps: { node: '49', input: 'fps' },
      },
      '50',
    );
    const png = await sharp({
      create: { width: 32, height: 18, channels: 3, background: { r: 200, g: 40, b: 90 } },
    })
      .png()
      .toBuffer();
    const job = videoJob({
      prompt: 'the leaves rustle',
      image_url: `data:image/png;base64,${png.toString('base64')}`,
    });
    const { engineJobId } = await engine.submit(job, call());
    const { promptId } = decodeComfyUiJobId(engineJobId)!;
    const sent = double.submitted.find((prompt) => prompt.promptId === promptId)!.prompt;
    const name = sent['52']!.inputs!.image as string;
    assert.match(name, /^rialto-[0-9a-f-]{36}\.png$/);
    assert.ok(double.uploads.includes(name));
    let status = await engine.poll(job, engineJobId, call());
    while (status.state === 'running') status = await engine.poll(job, engineJobId, call());
    assert.equal((await bytesOf(status)).contentType, 'video/mp4');
  });

  it('a prompt ComfyUI lost (a restart emptied its queue) fails the job, refunded by the runner', async () => {
    double.paused = true;
    const engine = videoEngine();
    const job = videoJob({ prompt: 'lost in a restart' });
    const { engineJobId } = await engine.submit(job, call());
    double.pending.splice(0);
    double.paused = false;
    assert.deepEqual(await engine.poll(job, engineJobId, call()), {
      state: 'failed',
      reason: 'The ComfyUI server no longer knows the job (it restarted and lost its queue).',
      moderation: false,
    });
  });

  it('the engine job id holds the endpoint without its credentials', () => {
    const id = encodeComfyUiJobId({
      endpoint: 'http://operator:s3cret@127.0.0.1:8188/comfy/',
      promptId: 'p-1',
      clientId: 'c-1',
    });
    assert.equal(id.includes('s3cret'), false);
    assert.deepEqual(decodeComfyUiJobId(id), {
      endpoint: 'http://127.0.0.1:8188/comfy',
      promptId: 'p-1',
      clientId: 'c-1',
    });
    assert.equal(decodeComfyUiJobId('{"endpoint":"x","queue_id":"y"}'), undefined);
  });

  it('a URL input is refused (the engine fetches nothing for a client): bad_request, before any /prompt', async () => {
    const before = double.submitted.length;
    await assert.rejects(
      videoEngine().submit(
        videoJob({ prompt: 'from a URL', image_url: 'https://example.com/a.png' }),
        call(),
      ),
      (error: unknown) => error instanceof EngineError && error.failure === 'bad_request',
    );
    assert.equal(double.submitted.length, before);
  });

  it('examples/comfyui/rialto-video-music.yaml parses, passes the kind check, and its workflows load', async () => {
    const example = parseConfig(
      parse(
        readFileSync(
          new URL('../../../examples/comfyui/rialto-video-music.yaml', import.meta.url),
          'utf8',
        ),
      ),
    );
    assert.deepEqual(
      example.models.map((model) => [model.id, model.type]),
      [
        ['wan-2.1-text-to-video', 'video'],
        ['ace-step-music', 'music'],
        ['comfyui-video-upscale', 'video'],
        ['wan-2.1-image-to-video', 'video'],
        ['stable-audio-open', 'music'],
      ],
    );
    for (const model of example.models) {
      const engine = comfyUiEngine.parse(model.engine);
      comfyUiKind.check!({ ...model, engine });
      const workflow = await ComfyUiWorkflow.load(engine);
      checkJobMapping(model.type === 'video' ? 'video' : 'music', engine, workflow.fill({}));
      // The double runs every node class the examples use (the e2e tests run them end to end).
      for (const node of Object.values(workflow.fill({})))
        assert.ok(BUILT_IN_NODES[node.class_type] !== undefined, `${model.id}: ${node.class_type}`);
    }
  });

  it('a mapping naming a field the model type lacks, or a node the workflow lacks, is refused at start', () => {
    const config = (inputs: object) =>
      comfyUiEngine.parse({
        kind: 'comfyui',
        endpoints: [{ url: 'http://127.0.0.1:1' }],
        workflow: 'x.json',
        inputs,
        outputs: ['50'],
      });
    assert.throws(
      () => checkJobMapping('video', config({ lyrics: { node: '6', input: 'text' } }), WAN),
      /video models map only/,
    );
    assert.throws(
      () => checkJobMapping('video', config({ prompt: { node: '99', input: 'text' } }), WAN),
      /node 99/,
    );
    assert.throws(() => checkJobMapping('music', config({}), ACE), /output node 50/);
  });
});
