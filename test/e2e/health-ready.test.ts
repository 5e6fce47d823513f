// GET /health and GET /ready (issue #9.5): no key needed; /ready names each component and goes 503 while an
// upstream is down, 200 again once it answers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { startReplayServer, type ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { chatModel } from './upstream-support.ts';

interface ReadyBody {
  status: string;
  store: { healthy: boolean };
  limiter: { healthy: boolean; detail: string };
  models: Record<string, { healthy: boolean; detail: string }>;
}

describe('GET /health and GET /ready', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;

  before(async () => {
    replay = await startReplayServer({ flavor: 'vllm' });
    rialto = await startRialto({ rateLimits: { enabled: true }, models: [chatModel('upstream', 'vllm', [replay.url])] });
  });
  after(async () => {
    await rialto.close();
    await replay.close();
  });

  it('GET /health answers 200 {status: ok} without a key', async () => {
    const response = await fetch(`${rialto.origin}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('GET /ready answers 200 while the store, the limiter and every engine answer, 503 naming the upstream while it is down', async () => {
    const ready = await fetch(`${rialto.origin}/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as ReadyBody;
    assert.equal(body.status, 'ready');
    assert.equal(body.store.healthy, true);
    assert.deepEqual(body.limiter, { healthy: true, detail: 'in process' });
    assert.equal(body.models.upstream?.healthy, true);

    replay.setBehavior({ failWith: { status: 503, body: { error: 'down for maintenance' } } });
    try {
      const down = await fetch(`${rialto.origin}/ready`);
      assert.equal(down.status, 503);
      const failed = (await down.json()) as ReadyBody;
      assert.equal(failed.status, 'unavailable');
      assert.equal(failed.store.healthy, true);
      assert.equal(failed.models.upstream?.healthy, false);
      assert.match(failed.models.upstream?.detail ?? '', /answered 503/);
    } finally {
      replay.resetBehavior();
    }
    assert.equal((await fetch(`${rialto.origin}/ready`)).status, 200, 'ready again once the upstream answers');
  });
});
