// OpenAiVideoEngine against the OpenAI-videos test double (a real HTTP server on 127.0.0.1 serving a real MP4):
// submit, poll, content, cleanup; the mapping sent upstream; moderation; transient and client failures; failover.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { modelConfigSchema } from '../../config.ts';
import type { JobStatus, JobSubmission } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { OpenAiVideoEngine } from './openai-video-engine.ts';
import {
  startOpenAiVideosServer,
  type OpenAiVideosServer,
} from '../../../test/support/upstream/openai-videos-server.ts';

function engineOf(
  endpoints: { url: string; name?: string; apiKey?: string }[],
  extra: Record<string, unknown> = {},
  videoConstraints: Record<string, unknown> = {},
): OpenAiVideoEngine {
  const model = modelConfigSchema.parse({
    id: 'v',
    type: 'video',
    engine: { kind: 'openai-compatible', endpoints, ...extra },
    videoConstraints,
  });
  if (model.engine.kind !== 'openai-compatible') throw new Error('unreachable');
  return new OpenAiVideoEngine(model.engine, model.videoConstraints);
}

const call = () =>
  ({ signal: new AbortController().signal }) as { signal: AbortSignal; servedBy?: string };

function job(request: Record<string, unknown>): JobSubmission {
  return {
    kind: 'video',
    model: 'sora-2',
    request: {
      model: 'sora-2',
      prompt: 'a gondola at dawn',
      duration: '5s',
      aspect_ratio: '16:9',
      resolution: '720p',
      ...request,
    },
  };
}

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Polls until the job leaves `running`; the statuses seen on the way. */
async function pollToEnd(
  engine: OpenAiVideoEngine,
  submission: JobSubmission,
  id: string,
): Promise<{ seen: JobStatus[]; last: JobStatus }> {
  const seen: JobStatus[] = [];
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const status = await engine.poll(submission, id, call());
    seen.push(status);
    if (status.state !== 'running') return { seen, last: status };
  }
  throw new Error('the video never finished');
}

async function rejectsWith(
  promise: Promise<unknown>,
  failure: string,
  retryable: boolean,
): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof EngineError, String(error));
    assert.equal(error.failure, failure, error.message);
    assert.equal(error.retryable, retryable);
    return error;
  }
  throw new Error(`expected an EngineError ${failure}`);
}

describe('OpenAiVideoEngine', () => {
  let server: OpenAiVideosServer;
  before(async () => {
    server = await startOpenAiVideosServer({ pollsToComplete: 4, apiKey: 'sk-upstream' });
  });
  after(async () => {
    await server.close();
  });

  it('submits as the SDK does, reports queued then progress, streams the MP4 and deletes it', async () => {
    const engine = engineOf([{ url: server.url, apiKey: 'sk-upstream' }]);
    try {
      const submission = job({});
      const context = call();
      const { engineJobId } = await engine.submit(submission, context);
      assert.equal(context.servedBy, `openai-compatible/${new URL(server.url).host}`);
      const created = server.calls.at(-1)!;
      assert.equal(created.method, 'POST');
      assert.equal(created.path, '/v1/videos');
      assert.match(created.contentType ?? '', /^multipart\/form-data; boundary=/);
      assert.equal(created.authorization, 'Bearer sk-upstream');
      assert.deepEqual(created.fields, {
        model: 'sora-2',
        prompt: 'a gondola at dawn',
        seconds: '4',
        size: '1280x720',
      });
      const videoId = [...server.videos.keys()].at(-1)!;
      assert.equal(engineJobId, `${encodeURIComponent(new URL(server.url).host)}/${videoId}`);

      const { seen, last } = await pollToEnd(engine, submission, engineJobId);
      assert.deepEqual(seen.slice(0, -1), [
        { state: 'running', progress: 0 },
        { state: 'running', progress: 0.33 },
        { state: 'running', progress: 0.66 },
      ]);
      assert.equal(last.state, 'done');
      if (last.state !== 'done') return;
      assert.equal(last.media.contentType, 'video/mp4');
      const bytes = await bytesOf(last.media.body);
      assert.ok(bytes.equals(server.mp4), 'the MP4 is the upstream’s, byte for byte');
      assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
      const content = server.calls.at(-1)!;
      assert.deepEqual(
        [content.path, content.query, content.accept],
        [`/v1/videos/${videoId}/content`, { variant: 'video' }, 'application/binary'],
      );

      await engine.cleanup(submission, engineJobId, call());
      assert.deepEqual(
        [server.calls.at(-1)!.method, server.calls.at(-1)!.path],
        ['DELETE', `/v1/videos/${videoId}`],
      );
      assert.equal(server.videos.get(videoId)!.deleted, true);
      await engine.cleanup(submission, engineJobId, call());
      const gone = await rejectsWith(engine.poll(submission, engineJobId, call()), 'failed', false);
      assert.equal(gone.options.status, 404);
    } finally {
      await engine.close();
    }
  });

  it('maps duration, aspect ratio and resolution to the seconds and size the upstream takes', async () => {
    const engine = engineOf([{ url: server.url, apiKey: 'sk-upstream' }]);
    try {
      await engine.submit(
        job({ duration: '10s', aspect_ratio: '9:16', resolution: '1080p' }),
        call(),
      );
      assert.deepEqual(
        [server.calls.at(-1)!.fields.seconds, server.calls.at(-1)!.fields.size],
        ['12', '1024x1792'],
      );
      await engine.submit(
        job({ duration: '8s', aspect_ratio: '9:16', resolution: '720p' }),
        call(),
      );
      assert.deepEqual(
        [server.calls.at(-1)!.fields.seconds, server.calls.at(-1)!.fields.size],
        ['8', '720x1280'],
      );
    } finally {
      await engine.close();
    }
  });

  it('sends an operator’s own lengths and sizes; a value the upstream refuses fails the job (4xx)', async () => {
    const custom = await startOpenAiVideosServer({
      seconds: ['5', '10'],
      sizes: ['1920x1080', '1080x1920'],
    });
    const engine = engineOf([{ url: custom.url }], {
      videoSeconds: [5, 10],
      videoSizes: ['1920x1080', '1080x1920'],
    });
    const wrong = engineOf([{ url: custom.url }]);
    try {
      await engine.submit(job({ duration: '10s', resolution: '1080p' }), call());
      assert.deepEqual(
        [custom.calls.at(-1)!.fields.seconds, custom.calls.at(-1)!.fields.size],
        ['10', '1920x1080'],
      );
      const refused = await rejectsWith(wrong.submit(job({}), call()), 'bad_request', false);
      assert.match(refused.message, /Invalid value: '4'/);
    } finally {
      await engine.close();
      await wrong.close();
      await custom.close();
    }
  });

  it('sends a data-URL image as input_reference at the video’s exact size; refuses other URLs without calling', async () => {
    const engine = engineOf([{ url: server.url, apiKey: 'sk-upstream' }]);
    try {
      const jpeg = await sharp({
        create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 40, b: 40 } },
      })
        .jpeg()
        .toBuffer();
      await engine.submit(
        job({ image_url: `data:image/jpeg;base64,${jpeg.toString('base64')}` }),
        call(),
      );
      assert.deepEqual(server.calls.at(-1)!.reference, {
        contentType: 'image/png',
        width: 1280,
        height: 720,
        bytes: server.calls.at(-1)!.reference!.bytes,
      });
      const before = server.calls.length;
      await rejectsWith(
        engine.submit(job({ image_url: 'https://example.com/cat.png' }), call()),
        'bad_request',
        false,
      );
      await rejectsWith(
        engine.submit(job({ image_url: 'data:image/png;base64,bm90IGFuIGltYWdl' }), call()),
        'bad_request',
        false,
      );
      assert.equal(server.calls.length, before);
    } finally {
      await engine.close();
    }
  });

  it('moderation: a failed video with moderation_blocked, and sentinel_block at create; a plain failure is not moderation', async () => {
    const engine = engineOf([{ url: server.url, apiKey: 'sk-upstream' }]);
    try {
      const blocked = job({ prompt: 'something #moderation' });
      const { last } = await pollToEnd(
        engine,
        blocked,
        (await engine.submit(blocked, call())).engineJobId,
      );
      assert.deepEqual(last, {
        state: 'failed',
        reason: 'Your request was blocked by our moderation system.',
        moderation: true,
      });
      const failing = job({ prompt: 'something #fail' });
      const { last: failed } = await pollToEnd(
        engine,
        failing,
        (await engine.submit(failing, call())).engineJobId,
      );
      assert.deepEqual(failed, {
        state: 'failed',
        reason: 'Video generation failed.',
        moderation: false,
      });
      await rejectsWith(
        engine.submit(job({ prompt: 'something #sentinel' }), call()),
        'content_policy',
        false,
      );
    } finally {
      await engine.close();
    }
  });

  it('5xx, 429 and a server that is down are transient; the job carries on once it is back', async () => {
    const engine = engineOf([{ url: server.url, apiKey: 'sk-upstream' }]);
    try {
      const submission = job({});
      const { engineJobId } = await engine.submit(submission, call());
      server.failNext(1, 500);
      await rejectsWith(engine.poll(submission, engineJobId, call()), 'offline', true);
      server.failNext(1, 429);
      await rejectsWith(engine.poll(submission, engineJobId, call()), 'overloaded', true);
      server.failNext(1, 503);
      await rejectsWith(engine.poll(submission, engineJobId, call()), 'capacity', true);
      await server.down();
      await rejectsWith(engine.poll(submission, engineJobId, call()), 'offline', true);
      await rejectsWith(engine.submit(submission, call()), 'offline', true);
      assert.equal((await engine.checkHealth(AbortSignal.timeout(5000))).healthy, false);
      await server.up();
      assert.deepEqual(await engine.checkHealth(AbortSignal.timeout(5000)), {
        healthy: true,
        detail: 'every endpoint answers',
      });
      const { last } = await pollToEnd(engine, submission, engineJobId);
      assert.equal(last.state, 'done');
      if (last.state === 'done') assert.ok((await bytesOf(last.media.body)).equals(server.mp4));
    } finally {
      await engine.close();
    }
  });

  it('fails over before creating; the video is then polled on the endpoint that holds it', async () => {
    const first = await startOpenAiVideosServer({ pollsToComplete: 2 });
    const second = await startOpenAiVideosServer({ pollsToComplete: 2 });
    const engine = engineOf([
      { url: first.url, name: 'first' },
      { url: second.url, name: 'second' },
    ]);
    try {
      // A fresh pool tries its endpoints in order: the first answers 502, the second creates the video.
      first.failNext(1, 502);
      const submission = job({});
      const context = call();
      const { engineJobId } = await engine.submit(submission, context);
      const [holder, other] = [second, first];
      assert.equal(holder.videos.size, 1);
      assert.equal(other.videos.size, 0);
      assert.deepEqual(
        other.calls.map((recorded) => [recorded.method, recorded.path]),
        [['POST', '/v1/videos']],
      );
      assert.equal(context.servedBy, 'openai-compatible/second');
      assert.ok(engineJobId.startsWith('second/'));
      const otherCalls = other.calls.length;
      const { last } = await pollToEnd(engine, submission, engineJobId);
      assert.equal(last.state, 'done');
      if (last.state === 'done') await bytesOf(last.media.body);
      assert.equal(
        other.calls.length,
        otherCalls,
        'nothing about the video went to the other endpoint',
      );
      await rejectsWith(
        engine.poll(submission, `gone/${[...holder.videos.keys()][0]}`, call()),
        'failed',
        false,
      );
    } finally {
      await engine.close();
      await first.close();
      await second.close();
    }
  });

  it('runs video jobs only', async () => {
    const engine = engineOf([{ url: server.url }]);
    try {
      await rejectsWith(
        engine.submit({ kind: 'music', model: 'm', request: { prompt: 'a tune' } }, call()),
        'bad_request',
        false,
      );
    } finally {
      await engine.close();
    }
  });
});
