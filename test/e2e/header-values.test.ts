// Header values (issue #15.4): a model named outside Latin-1 ("Upstream — chat"), with a deprecation warning and an
// endpoint name to match, answers JSON and streams on a replay upstream; its headers carry the names
// percent-encoded (decodeURIComponent gives them back), its body and /models keep them as written, and the books
// are right: each request settled once, nothing left reserved or open.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { assertBooksBalance, usageRecords } from '../support/ledger-books.ts';
import { readSse } from '../support/read-sse.ts';
import { chatModel } from './upstream-support.ts';

const NAME = 'Upstream — chat';
const WARNING = 'Retirée le 1ᵉʳ mai — use “upstream-next” 🚀';
const ENDPOINT = 'amont—1';
// A hang on the code before the fix (a stream whose headers threw was never answered) fails here, not the suite.
const GUARD = (): AbortSignal => AbortSignal.timeout(20_000);

describe('header values outside Latin-1', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;

  before(async () => {
    replay = await startReplayServer({ flavor: 'vllm' });
    const model = chatModel('upstream', 'vllm', [], {
      endpoints: [{ url: replay.url, name: ENDPOINT }],
    });
    rialto = await startRialto({
      models: [
        {
          ...model,
          name: NAME,
          deprecation: {
            date: '2026-01-15T00:00:00.000Z',
            removesAt: '2999-01-01T00:00:00.000Z',
            warning: WARNING,
          },
        },
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await replay?.close();
  });

  const request = (stream: boolean): Promise<Response> =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${rialto.inferenceKey}`,
      },
      body: JSON.stringify({
        model: 'upstream',
        messages: [{ role: 'user', content: '#plain hello' }],
        stream,
      }),
      signal: GUARD(),
    });

  function assertModelHeaders(response: Response): void {
    const name = response.headers.get('x-venice-model-name') ?? '';
    assert.equal(name, 'Upstream %E2%80%94 chat');
    assert.equal(decodeURIComponent(name), NAME);
    assert.equal(
      decodeURIComponent(response.headers.get('x-venice-model-deprecation-warning') ?? ''),
      WARNING,
    );
    assert.equal(
      decodeURIComponent(response.headers.get('x-venice-model-router') ?? ''),
      `openai-compatible/${ENDPOINT}`,
    );
    assert.equal(response.headers.get('x-venice-model-id'), 'upstream');
  }

  it('a JSON request answers 200 with the names encoded in its headers', async () => {
    const response = await request(false);
    assert.equal(response.status, 200);
    assertModelHeaders(response);
    const body = (await response.json()) as { model: string; choices: unknown[] };
    assert.equal(body.model, 'upstream');
    assert.equal(body.choices.length, 1);
  });

  it('a stream answers 200 with the names encoded in its headers, and ends with [DONE]', async () => {
    const response = await request(true);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assertModelHeaders(response);
    const events = await readSse(response);
    assert.equal(events.at(-1), '[DONE]');
    assert.ok(events.length > 2, 'the completion arrived');
  });

  it('GET /models keeps the name as written', async () => {
    const models = (await (
      await fetch(`${rialto.baseURL}/models`, {
        headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      })
    ).json()) as { data: { id: string; model_spec: { name: string } }[] };
    assert.equal(models.data.find((model) => model.id === 'upstream')?.model_spec.name, NAME);
  });

  it('the books are right: both requests settled as completed, nothing reserved, no reservation held open', async () => {
    const records = await assertBooksBalance(rialto.store, 1000);
    assert.deepEqual(
      records.map((record) => record.status),
      ['completed', 'completed'],
    );
    assert.ok(
      records.every((record) => record.amount > 0),
      'both were charged',
    );
    const metrics = await (await fetch(`${rialto.origin}/metrics`)).text();
    assert.match(metrics, /^rialto_reservations_open 0$/m);
    assert.equal((await usageRecords(rialto.store)).length, 2);
  });
});
