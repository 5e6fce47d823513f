// Video and music jobs on `comfyui` models (issue #18 part B), against the ComfyUI double (a real HTTP +
// WebSocket server on 127.0.0.1 running the example workflows of examples/comfyui): Venice's documented examples
// for /video/quote|queue|retrieve|complete and /audio/quote|queue|retrieve|complete sent unchanged, every body
// checked against the swagger; progress while the prompt runs; ComfyUI restarting mid-job; a workflow that
// fails (refunded, the error the client sees); a job past its deadline (the prompt is interrupted). Each checks
// the books: the usage records add up to the balance, nothing left reserved.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toNanos } from '../../src/services/billing/money.ts';
import { type ComfyUiDouble, startComfyUiDouble } from '../support/comfyui-double.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { ACE_MUSIC_INPUTS, WAN_VIDEO_INPUTS, writeExampleWorkflows } from './comfyui-support.ts';
import { post, price, recordsOf, retrieveUntilDone, until, ZERO } from './jobs-support.ts';

const FUNDED_USD = 1000;
describe('video and music jobs on comfyui models (ComfyUI double)', () => {
  let double: ComfyUiDouble;
  let rialto: TestRialto;

  before(async () => {
    double = await startComfyUiDouble();
    const files = writeExampleWorkflows({ video: 8, music: 8 });
    const endpoints = [{ url: double.url }];
    const videoEngine = {
      kind: 'comfyui',
      endpoints,
      workflow: files.video,
      inputs: WAN_VIDEO_INPUTS,
      outputs: ['50'],
    };
    const musicEngine = {
      kind: 'comfyui',
      endpoints,
      workflow: files.music,
      inputs: ACE_MUSIC_INPUTS,
      outputs: ['59'],
    };
    const musicPricing = { input: ZERO, output: ZERO, per_second: price(0.025) };
    rialto = await startRialto(
      {
        jobs: { pollIntervalMs: 50 },
        models: [
          {
            // Named as Venice's guide names it, so its examples go unchanged.
            id: 'wan-2.5-preview-text-to-video',
            type: 'video',
            engine: videoEngine,
            videoConstraints: {
              durations: ['5s', '10s'],
              resolutions: ['720p', '1080p'],
              aspect_ratios: ['16:9', '9:16'],
            },
            pricing: {
              input: ZERO,
              output: ZERO,
              per_second: price(0.01),
              resolutions: { '1080p': price(0.02) },
            },
          },
          {
            id: 'elevenlabs-music',
            type: 'music',
            engine: musicEngine,
            music: {
              supports_lyrics: true,
              supports_force_instrumental: true,
              max_duration: 60,
              default_duration: 10,
            },
            pricing: musicPricing,
          },
          {
            id: 'elevenlabs-sound-effects-v2',
            type: 'music',
            engine: musicEngine,
            music: { max_duration: 30, default_duration: 5 },
            pricing: musicPricing,
          },
        ],
      },
      { balanceUsd: FUNDED_USD },
    );
  });
  after(async () => {
    await rialto?.close();
    await double?.close();
  });

  /** The prompt ComfyUI ran for a job (its engine job id names it). */
  async function promptOf(queueId: string): Promise<string> {
    const job = await until('the job to reach ComfyUI', async () => {
      const found = await rialto.store.jobs.find(queueId);
      return found?.engineJobId ?? undefined;
    });
    return (JSON.parse(job) as { prompt_id: string }).prompt_id;
  }

  async function queueVideo(body: Record<string, unknown>): Promise<string> {
    const response = await post(rialto, '/video/queue', body);
    assert.equal(response.status, 200, await response.clone().text());
    const answer: unknown = await response.json();
    validateResponse({ method: 'POST', path: '/video/queue', status: 200, body: answer });
    return (answer as { queue_id: string }).queue_id;
  }

  const gondola = {
    model: 'wan-2.5-preview-text-to-video',
    prompt: 'A gondola gliding through Venice canals at sunset',
    duration: '5s',
    resolution: '720p',
    aspect_ratio: '16:9',
  };

  it('video-generation.mdx: quote, queue, retrieve (PROCESSING, then the MP4), complete; charged the quote once', async () => {
    const quote = await post(
      rialto,
      '/video/quote',
      { model: 'wan-2.5-preview-text-to-video', duration: '10s', resolution: '1080p' },
      null,
    );
    const quoted: unknown = await quote.json();
    validateResponse({ method: 'POST', path: '/video/quote', status: 200, body: quoted });
    assert.deepEqual(quoted, { quote: 0.2 });

    const queueId = await queueVideo(gondola);
    const promptId = await promptOf(queueId);
    const sent = double.submitted.find((prompt) => prompt.promptId === promptId)!.prompt;
    assert.equal(sent['6']!.inputs!.text, gondola.prompt);
    // 720p at 16:9 (multiples of 16), 5 s at the workflow's 4 fps.
    assert.deepEqual(
      [sent['40']!.inputs!.width, sent['40']!.inputs!.height, sent['40']!.inputs!.length],
      [1280, 720, 21],
    );
    const status = await post(rialto, '/video/retrieve', {
      model: gondola.model,
      queue_id: queueId,
    });
    if (status.headers.get('content-type')?.startsWith('application/json')) {
      const body: unknown = await status.json();
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 200, body });
    } else await status.arrayBuffer();

    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: gondola.model,
      queue_id: queueId,
    });
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'video/mp4');
    const bytes = Buffer.from(await media.arrayBuffer());
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    validateResponse({
      method: 'POST',
      path: '/video/retrieve',
      status: 200,
      contentType: 'video/mp4',
      body: bytes,
    });
    const completed = await post(rialto, '/video/complete', {
      model: gondola.model,
      queue_id: queueId,
    });
    const success: unknown = await completed.json();
    validateResponse({ method: 'POST', path: '/video/complete', status: 200, body: success });
    assert.deepEqual(success, { success: true });
    assert.equal(
      (await post(rialto, '/video/retrieve', { model: gondola.model, queue_id: queueId })).status,
      404,
    );
    assert.deepEqual(
      (await recordsOf(rialto, queueId)).map(({ status: state, amount }) => [state, amount]),
      [['completed', toNanos(0.05)]],
    );
    // ComfyUI's copy is freed once the result is stored.
    await until('the history entry to be deleted', async () =>
      double.historyDeletions.includes(promptId) ? true : undefined,
    );
    assert.equal(double.submitted.filter((prompt) => prompt.promptId === promptId).length, 1);
    await assertBooksBalance(rialto.store, FUNDED_USD);
  });

  it('music-and-sound-effects.mdx: quote, the music and sound-effect examples, retrieve (audio/mpeg), complete', async () => {
    const quote = await post(
      rialto,
      '/audio/quote',
      { model: 'elevenlabs-music', duration_seconds: 30 },
      null,
    );
    assert.deepEqual(await quote.json(), { quote: 0.75 });
    for (const example of [
      {
        model: 'elevenlabs-music',
        prompt: 'Warm cinematic strings with a gentle piano melody, hopeful and spacious',
        duration_seconds: 30,
        force_instrumental: true,
      },
      {
        model: 'elevenlabs-sound-effects-v2',
        prompt: 'Ocean waves rolling onto a pebble beach at night',
        duration_seconds: 10,
      },
    ]) {
      const queued = await post(rialto, '/audio/queue', example);
      assert.equal(queued.status, 200, await queued.clone().text());
      const answer = (await queued.json()) as { model: string; queue_id: string };
      validateResponse({ method: 'POST', path: '/audio/queue', status: 200, body: answer });
      const promptId = await promptOf(answer.queue_id);
      const sent = double.submitted.find((prompt) => prompt.promptId === promptId)!.prompt;
      assert.deepEqual(
        [sent['14']!.inputs!.tags, sent['14']!.inputs!.lyrics, sent['17']!.inputs!.seconds],
        [example.prompt, '[instrumental]', example.duration_seconds],
      );
      const media = await retrieveUntilDone(rialto, '/audio/retrieve', {
        model: answer.model,
        queue_id: answer.queue_id,
      });
      assert.equal(media.status, 200);
      assert.equal(media.headers.get('content-type'), 'audio/mpeg');
      const bytes = Buffer.from(await media.arrayBuffer());
      validateResponse({
        method: 'POST',
        path: '/audio/retrieve',
        status: 200,
        contentType: 'audio/mpeg',
        body: bytes,
      });
      const completed: unknown = await (
        await post(rialto, '/audio/complete', { model: answer.model, queue_id: answer.queue_id })
      ).json();
      validateResponse({ method: 'POST', path: '/audio/complete', status: 200, body: completed });
      assert.deepEqual(completed, { success: true });
      assert.deepEqual(
        (await recordsOf(rialto, answer.queue_id)).map(({ amount }) => amount),
        [toNanos(0.025 * example.duration_seconds)],
      );
    }
    await assertBooksBalance(rialto.store, FUNDED_USD);
  });

  it('progress: while the sampler runs, retrieve answers PROCESSING with the job’s own estimate (elapsed ÷ progress)', async () => {
    // 8 steps of 1.5 s: the progress stays at one step (1/8) long enough to read it around a retrieve.
    double.stepMs = 1500;
    let queueId: string;
    try {
      queueId = await queueVideo({ ...gondola, prompt: 'slow canal at dawn' });
      const progressOf = async (): Promise<number> =>
        (await rialto.store.jobs.find(queueId))?.progress ?? 0;
      const seen = await until('progress between 0 and 1', async () => {
        const progress = await progressOf();
        return progress > 0 && progress < 1 ? progress : undefined;
      });
      assert.equal(seen, 1 / 8);
      const response = await post(rialto, '/video/retrieve', {
        model: gondola.model,
        queue_id: queueId,
      });
      const body = (await response.json()) as {
        status: string;
        average_execution_time: number;
        execution_duration: number;
      };
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 200, body });
      assert.equal(body.status, 'PROCESSING');
      if ((await progressOf()) === seen)
        assert.equal(
          body.average_execution_time,
          Math.round(body.execution_duration / seen),
          JSON.stringify(body),
        );
    } finally {
      double.stepMs = 2;
    }
    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: gondola.model,
      queue_id: queueId,
    });
    assert.equal(media.status, 200);
    await media.arrayBuffer();
    await assertBooksBalance(rialto.store, FUNDED_USD);
  });

  it('ComfyUI restarts mid-job: the job completes, queued on ComfyUI once and charged once', async () => {
    double.stepMs = 100;
    const queueId = await queueVideo({ ...gondola, prompt: 'a restart in the middle' });
    const promptId = await promptOf(queueId);
    await until('the prompt to run', async () =>
      double.running?.promptId === promptId ? true : undefined,
    );
    await double.restart(400);
    double.stepMs = 2;
    const media = await retrieveUntilDone(rialto, '/video/retrieve', {
      model: gondola.model,
      queue_id: queueId,
    });
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'video/mp4');
    await media.arrayBuffer();
    assert.equal(double.submitted.filter((prompt) => prompt.promptId === promptId).length, 1);
    assert.equal(
      double.submitted.filter(
        (prompt) => prompt.prompt['6']?.inputs?.text === 'a restart in the middle',
      ).length,
      1,
    );
    assert.deepEqual(
      (await recordsOf(rialto, queueId)).map(({ status: state, amount }) => [state, amount]),
      [['completed', toNanos(0.05)]],
    );
    await assertBooksBalance(rialto.store, FUNDED_USD);
  });

  it('a workflow error: retrieve answers 500 with credits_refunded, nothing charged, no server detail shown', async () => {
    double.failNode = '3';
    let queueId: string;
    try {
      queueId = await queueVideo({ ...gondola, prompt: 'the sampler breaks' });
      const failed = await retrieveUntilDone(rialto, '/video/retrieve', {
        model: gondola.model,
        queue_id: queueId,
      });
      assert.equal(failed.status, 500);
      const body: unknown = await failed.json();
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 500, body });
      assert.deepEqual(body, {
        error: 'The ComfyUI workflow failed; nothing was generated. Credits have been refunded.',
        credits_refunded: true,
      });
    } finally {
      double.failNode = undefined;
    }
    assert.deepEqual(
      (await recordsOf(rialto, queueId)).map(({ status: state, amount }) => [state, amount]),
      [['refunded_failed', 0]],
    );
    await assertBooksBalance(rialto.store, FUNDED_USD);
  });
});

describe('a comfyui job past its deadline (ComfyUI double)', () => {
  it('the prompt is interrupted on ComfyUI, the job fails refunded, the books add up', async () => {
    const double = await startComfyUiDouble();
    const files = writeExampleWorkflows({ video: 8, music: 8 });
    const rialto = await startRialto(
      {
        jobs: { pollIntervalMs: 50, deadlineSeconds: 2 },
        models: [
          {
            id: 'wan-slow',
            type: 'video',
            engine: {
              kind: 'comfyui',
              endpoints: [{ url: double.url }],
              workflow: files.video,
              inputs: { prompt: { node: '6', input: 'text' } },
              outputs: ['50'],
            },
            videoConstraints: { durations: ['5s'], resolutions: ['256p'] },
            pricing: { input: ZERO, output: ZERO, per_second: price(0.01) },
          },
        ],
      },
      { balanceUsd: FUNDED_USD },
    );
    try {
      // 8 steps of 1 s: longer than the 2 s deadline.
      double.stepMs = 1000;
      const queued = await post(rialto, '/video/queue', {
        model: 'wan-slow',
        prompt: 'longer than its deadline',
        duration: '5s',
      });
      assert.equal(queued.status, 200);
      const { queue_id: queueId } = (await queued.json()) as { queue_id: string };
      const failed = await retrieveUntilDone(rialto, '/video/retrieve', { queue_id: queueId });
      assert.equal(failed.status, 500);
      const body = (await failed.json()) as { error: string; credits_refunded: boolean };
      validateResponse({ method: 'POST', path: '/video/retrieve', status: 500, body });
      assert.equal(body.credits_refunded, true);
      const job = (await rialto.store.jobs.find(queueId))!;
      assert.equal(job.errorCode, 'REQUEST_TIMEOUT');
      const promptId = (JSON.parse(job.engineJobId!) as { prompt_id: string }).prompt_id;
      assert.ok(
        double.interrupts.some((interrupt) => interrupt.promptId === promptId),
        'the running prompt was interrupted',
      );
      await until('ComfyUI to stop the prompt', async () =>
        double.running === undefined ? true : undefined,
      );
      assert.deepEqual(
        (await recordsOf(rialto, queueId)).map(({ status: state, amount }) => [state, amount]),
        [['refunded_failed', 0]],
      );
      await assertBooksBalance(rialto.store, FUNDED_USD);
    } finally {
      await rialto.close();
      await double.close();
    }
  });
});
