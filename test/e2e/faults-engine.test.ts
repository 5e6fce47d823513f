// Issue #10: the embedded engine's native code fails. With engine isolation 'process' the model runs in a child
// process: killing it (SIGKILL, as the OOM killer does; SIGSEGV, as a crash in llama.cpp does) fails the requests it
// was serving with a Venice 5xx (a stream gets its error event), releases their reservations, leaves the server
// serving, and a new process takes over for the next requests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { startFaultUpstream, type FaultUpstream } from '../support/upstream/fault-upstream.ts';
import type { IsolatedLlamaCppEngine } from '../../src/engines/llama-cpp/isolated-llama-cpp-engine.ts';
import { sseData } from './upstream-support.ts';

const FUNDED_USD = 10;
const PRICING = { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } };
const INFERENCE_FAILED = {
  message: 'Inference processing failed',
  code: 'INFERENCE_FAILED',
  status: 500,
};

describe('the embedded engine crashes', () => {
  let rialto: TestRialto;
  let upstream: FaultUpstream;

  before(async () => {
    upstream = await startFaultUpstream();
    rialto = await startRialto(
      {
        systemPrompt: '',
        models: [
          {
            id: 'tiny',
            engine: {
              kind: 'llama-cpp',
              path: await tinyModelPath(),
              threads: 1,
              sequences: 2,
              isolation: 'process',
            },
            contextLength: 2048,
            pricing: PRICING,
          },
          {
            id: 'remote',
            engine: {
              kind: 'openai-compatible',
              model: 'fault',
              endpoints: [{ url: upstream.url }],
            },
            pricing: PRICING,
          },
        ],
      },
      { balanceUsd: FUNDED_USD },
    );
  });
  after(async () => {
    await rialto?.close();
    await upstream?.close();
  });

  const engine = (): IsolatedLlamaCppEngine =>
    rialto.registry.entries[0]!.engine as IsolatedLlamaCppEngine;
  const post = (body: Record<string, unknown>): Promise<Response> =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
  const long = (stream: boolean): Record<string, unknown> => ({
    model: 'tiny',
    messages: [{ role: 'user', content: 'Talk for a long time' }],
    max_tokens: 1000,
    temperature: 0,
    stream,
  });

  /** Kills the engine's process with `signal` once a stream has delivered content; that stream's events, to its end. */
  async function killMidStream(signal: NodeJS.Signals): Promise<{ events: string[]; pid: number }> {
    const pid = engine().pid;
    assert.ok(pid !== undefined && pid !== process.pid, 'the model runs in a process of its own');
    const response = await post(long(true));
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('"content":"')) {
      const { done, value } = await reader.read();
      assert.equal(done, false, 'the stream ended before any content');
      text += new TextDecoder().decode(value);
    }
    process.kill(pid, signal);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    return { events: sseData(text), pid };
  }

  async function assertServedMeanwhile(): Promise<void> {
    assert.equal((await fetch(`${rialto.origin}/health`)).status, 200);
    const remote = await rialto.client.chat.completions.create({
      model: 'remote',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 64,
    });
    assert.equal(remote.choices[0]?.message.content, 'All is well.');
  }

  test('SIGKILL mid-stream: one INFERENCE_FAILED event ends the stream; the server serves; a new process answers the next request', async () => {
    const { events, pid } = await killMidStream('SIGKILL');
    assert.ok(!events.includes('[DONE]'), 'the stream did not finish: the process died under it');
    assert.deepEqual(JSON.parse(events.at(-1) ?? '{}'), { error: INFERENCE_FAILED });
    await assertServedMeanwhile();
    // Sent while the process may still be restarting: it waits for the new one.
    const next = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello again' }],
      max_tokens: 8,
      temperature: 0,
    });
    assert.ok((next.usage?.completion_tokens ?? 0) > 0);
    assert.ok(
      engine().pid !== undefined && engine().pid !== pid,
      'another process serves the model',
    );
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.deepEqual(
      records
        .filter((record) => record.modelId === 'tiny')
        .map((record) => [record.status, record.amount > 0]),
      [
        ['failed', false],
        ['completed', true],
      ],
    );
  });

  test('SIGSEGV with a stream and a non-streamed request in flight: both fail with 500, and the engine comes back again', async () => {
    const pending = post(long(false));
    const { events } = await killMidStream('SIGSEGV');
    assert.deepEqual(JSON.parse(events.at(-1) ?? '{}'), { error: INFERENCE_FAILED });
    const json = await pending;
    assert.equal(json.status, 500);
    assert.deepEqual(await json.json(), { error: INFERENCE_FAILED.message });
    await assertServedMeanwhile();
    const next = await rialto.client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello again' }],
      max_tokens: 8,
      temperature: 0,
    });
    assert.ok((next.usage?.completion_tokens ?? 0) > 0);
    assert.equal(engine().load().active, 0, 'no sequence is left busy');
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    assert.deepEqual(
      records
        .filter((record) => record.modelId === 'tiny')
        .slice(2)
        .map((record) => [record.status, record.amount > 0]),
      [
        ['failed', false],
        ['failed', false],
        ['completed', true],
      ],
    );
    assert.ok(
      records
        .filter((record) => record.modelId === 'remote')
        .every((record) => record.status === 'completed'),
    );
  });
});
