// The venice engine against the Venice job API double (test/support/upstream/venice-jobs-server.ts): failover
// on submission, polls kept on the endpoint that took the job, progress, media, cleanup, the upstream's
// verdicts (transient or final), and health.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { EngineError } from '../engine-error.ts';
import type { JobMedia, JobSubmission } from '../engine.ts';
import { VeniceJobEngine } from './venice-job-engine.ts';
import { decodeVeniceJobId } from './venice-job-id.ts';
import { VeniceJobsServer } from '../../../test/support/upstream/venice-jobs-server.ts';

/** A port with nothing listening on it (connections are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function bytesOf(media: JobMedia): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of media.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const call = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

describe('VeniceJobEngine', () => {
  let upstream: VeniceJobsServer;
  let engine: VeniceJobEngine;
  let deadUrl: string;
  const job = (prompt: string, kind: 'video' | 'music' = 'video'): JobSubmission => ({
    kind,
    model: 'upstream-model',
    request: { model: 'rialto-model', prompt, duration: '5s' },
  });

  before(async () => {
    upstream = await VeniceJobsServer.start({ apiKey: 'key', pollsUntilDone: 1 });
    deadUrl = `http://127.0.0.1:${await closedPort()}/api/v1`;
    engine = new VeniceJobEngine({
      kind: 'venice',
      endpoints: [
        { url: deadUrl, apiKey: 'key', weight: 1 },
        { url: upstream.url, apiKey: 'key', weight: 1 },
      ],
      timeoutMs: 10_000,
      maxConnections: 4,
    });
  });
  after(async () => {
    await engine.close();
    await upstream.close();
  });

  it('submits past an unreachable endpoint, polls where the job went (running with progress, then the media), cleans up there', async () => {
    const submission = job('a cat');
    const { engineJobId } = await engine.submit(submission, call());
    const id = decodeVeniceJobId(engineJobId)!;
    assert.equal(id.endpoint, upstream.url);
    assert.deepEqual(
      upstream.queuesFor('a cat').map((entry) => entry.body),
      [{ model: 'upstream-model', prompt: 'a cat', duration: '5s' }],
    );
    const running = await engine.poll(submission, engineJobId, call());
    assert.equal(running.state, 'running');
    assert.ok(
      running.state === 'running' &&
        running.progress !== undefined &&
        running.progress >= 0 &&
        running.progress < 1,
    );
    const done = await engine.poll(submission, engineJobId, call());
    assert.ok(done.state === 'done');
    assert.equal(done.media.contentType, 'video/mp4');
    assert.ok((await bytesOf(done.media)).equals(upstream.video));
    await engine.cleanup(submission, engineJobId, call());
    assert.deepEqual(
      upstream.callsTo('/api/v1/video/complete').map((entry) => entry.body),
      [{ model: 'upstream-model', queue_id: id.queueId }],
    );
  });

  it('music goes to /audio/*', async () => {
    const submission = job('rain on a roof', 'music');
    const { engineJobId } = await engine.submit(submission, call());
    assert.equal(upstream.queuesFor('rain on a roof')[0]!.path, '/api/v1/audio/queue');
    await engine.poll(submission, engineJobId, call());
    const done = await engine.poll(submission, engineJobId, call());
    assert.ok(done.state === 'done' && done.media.contentType === 'audio/mpeg');
    assert.ok((await bytesOf(done.media)).equals(upstream.audio));
  });

  it('a busy upstream (or a 500 that is no verdict) is a retryable error; its verdicts (404, 401, 500 processing failed) end the job; a content refusal is moderation', async () => {
    const submission = job('a dog');
    const { engineJobId } = await engine.submit(submission, call());
    upstream.answerWith = {
      status: 503,
      body: { error: 'The model is at capacity. Please try again later.' },
    };
    await assert.rejects(
      engine.poll(submission, engineJobId, call()),
      (error: unknown) =>
        error instanceof EngineError && error.failure === 'capacity' && error.retryable,
    );
    await assert.rejects(
      engine.submit(job('a bird'), call()),
      (error: unknown) => error instanceof EngineError && error.retryable,
    );
    upstream.answerWith = { status: 500, body: { error: 'Internal server error' } };
    await assert.rejects(
      engine.poll(submission, engineJobId, call()),
      (error: unknown) =>
        error instanceof EngineError && error.failure === 'offline' && error.retryable,
    );
    for (const [status, moderation, body] of [
      [404, false, 'no'],
      [401, false, 'no'],
      [500, false, 'Inference processing failed'],
      [422, true, 'no'],
    ] as const) {
      upstream.answerWith = { status, body: { error: body } };
      assert.deepEqual(
        { ...(await engine.poll(submission, engineJobId, call())), reason: '' },
        { state: 'failed', moderation, reason: '' },
      );
    }
    upstream.answerWith = {
      status: 422,
      body: { error: 'Your prompt violates the content policy' },
    };
    await assert.rejects(
      engine.submit(job('a bird'), call()),
      (error: unknown) =>
        error instanceof EngineError && error.failure === 'content_policy' && !error.retryable,
    );
    upstream.answerWith = undefined;
  });

  it('a job whose endpoint is no longer configured fails', async () => {
    const status = await engine.poll(
      job('x'),
      JSON.stringify({ endpoint: 'http://elsewhere/api/v1', queue_id: 'q' }),
      call(),
    );
    assert.equal(status.state, 'failed');
  });

  it('the job id (kept in the database) names the endpoint without its credentials; ids stored with the whole URL still find it', async () => {
    const withPassword = upstream.url.replace('http://', 'http://relay:s3cret@');
    const relay = new VeniceJobEngine({
      kind: 'venice',
      endpoints: [{ url: withPassword, apiKey: 'key', weight: 1 }],
      timeoutMs: 10_000,
      maxConnections: 4,
    });
    try {
      const submission = job('a heron');
      const { engineJobId } = await relay.submit(submission, call());
      assert.ok(!engineJobId.includes('s3cret') && !engineJobId.includes('relay'), engineJobId);
      assert.equal((await relay.poll(submission, engineJobId, call())).state, 'running');
      const stored = JSON.stringify({
        endpoint: withPassword,
        queue_id: decodeVeniceJobId(engineJobId)!.queueId,
      });
      const done = await relay.poll(submission, stored, call());
      assert.ok(done.state === 'done');
      assert.ok((await bytesOf(done.media)).equals(upstream.video));
    } finally {
      await relay.close();
    }
  });

  it('health: GET /models on every endpoint', async () => {
    const health = await engine.checkHealth(AbortSignal.timeout(5000));
    assert.equal(health.healthy, false);
    assert.match(health.detail, new RegExp(`${deadUrl.replace(/[/.]/g, '\\$&')} is not reachable`));
    const alone = new VeniceJobEngine({
      kind: 'venice',
      endpoints: [{ url: upstream.url, apiKey: 'key', weight: 1 }],
      timeoutMs: 10_000,
      maxConnections: 4,
    });
    assert.deepEqual(await alone.checkHealth(AbortSignal.timeout(5000)), {
      healthy: true,
      detail: 'every endpoint answers',
    });
    await alone.close();
  });
});
