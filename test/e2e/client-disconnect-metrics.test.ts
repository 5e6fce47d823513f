// Client disconnects (issue #15.10a): a client that leaves mid-stream, or before a JSON answer, is no inference
// failure: rialto_errors_total{code="INFERENCE_FAILED"} stays for real failures, and the departures are counted in
// rialto_client_disconnects_total by route (besides status 499 in rialto_http_requests_total).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { chatModel, eventually } from './upstream-support.ts';
import { sample } from '../support/metric-sample.ts';

const CHAT = '/api/v1/chat/completions';
const PLAIN = [{ role: 'user', content: '#plain hello' }];

describe('client disconnects in the metrics', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;

  before(async () => {
    replay = await startReplayServer({ flavor: 'vllm' });
    rialto = await startRialto({ models: [chatModel('metered', 'vllm', [replay.url])] });
  });
  after(async () => {
    await rialto?.close();
    await replay?.close();
  });

  const metrics = async (): Promise<string> => (await fetch(`${rialto.origin}/metrics`)).text();
  const send = (body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${rialto.inferenceKey}`,
      },
      body: JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
  /** Nothing reserved any more, and `departures` counted as 499: the request has been settled and answered for. */
  const settledAfter = async (departures: number): Promise<string> => {
    let text = '';
    const done = async (): Promise<boolean> => {
      text = await metrics();
      const account = await rialto.store.accounts.find('default');
      return (
        account?.usdReserved === 0 &&
        sample(text, 'rialto_http_requests_total', {
          route: CHAT,
          method: 'POST',
          status: '499',
        }) === departures
      );
    };
    for (let poll = 0; poll < 200 && !(await done()); poll++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    assert.ok(await done(), 'the request was settled and counted as 499');
    return metrics();
  };

  it('a stream the client leaves after its first chunk is a disconnect, not INFERENCE_FAILED', async () => {
    replay.setBehavior({ chunkDelayMs: 100 });
    try {
      const client = new AbortController();
      const response = await send(
        { model: 'metered', messages: PLAIN, stream: true },
        client.signal,
      );
      assert.equal(response.status, 200);
      await response.body!.getReader().read();
      client.abort();
      const text = await settledAfter(1);
      assert.equal(sample(text, 'rialto_errors_total', { code: 'INFERENCE_FAILED' }), undefined);
      assert.equal(
        sample(text, 'rialto_client_disconnects_total', { route: CHAT, method: 'POST' }),
        1,
      );
    } finally {
      replay.resetBehavior();
    }
  });

  it('a JSON request the client leaves while the upstream works is a disconnect, not INFERENCE_FAILED', async () => {
    replay.setBehavior({ hang: true });
    try {
      const client = new AbortController();
      const sent = replay.requests.length;
      const response = send({ model: 'metered', messages: PLAIN }, client.signal).catch(
        (error: unknown) => error,
      );
      assert.ok(
        await eventually(() => replay.requests.length > sent),
        'the upstream got the request',
      );
      client.abort();
      assert.ok((await response) instanceof Error);
      const text = await settledAfter(2);
      assert.equal(sample(text, 'rialto_errors_total', { code: 'INFERENCE_FAILED' }), undefined);
      assert.equal(
        sample(text, 'rialto_client_disconnects_total', { route: CHAT, method: 'POST' }),
        2,
      );
    } finally {
      replay.resetBehavior();
    }
  });

  it('a real failure still counts as INFERENCE_FAILED, and as no disconnect', async () => {
    replay.setBehavior({
      failWith: { status: 500, body: { error: { message: 'upstream exploded' } } },
    });
    try {
      const response = await send({ model: 'metered', messages: PLAIN });
      assert.equal(response.status, 500);
      await response.arrayBuffer();
    } finally {
      replay.resetBehavior();
    }
    const text = await metrics();
    assert.equal(sample(text, 'rialto_errors_total', { code: 'INFERENCE_FAILED' }), 1);
    assert.equal(
      sample(text, 'rialto_client_disconnects_total', { route: CHAT, method: 'POST' }),
      2,
    );
  });
});
