import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { parseConfig } from '../../src/config.ts';
import { OpenAiCompatibleEngine } from '../../src/engines/openai-compatible/openai-compatible-engine.ts';
import { startReplayServer } from '../support/upstream/upstream-replay-server.ts';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('checkHealth asks every endpoint for /models and names the ones that do not answer', async () => {
  const replay = await startReplayServer({ flavor: 'vllm' });
  const down = `http://127.0.0.1:${await closedPort()}/v1`;
  const config = parseConfig({
    models: [
      {
        id: 'm',
        engine: { kind: 'openai-compatible', endpoints: [{ url: replay.url }, { url: down }] },
      },
    ],
  });
  const model = config.models[0]!;
  assert.equal(model.engine.kind, 'openai-compatible');
  if (model.engine.kind !== 'openai-compatible') return;
  const both = new OpenAiCompatibleEngine(model.engine);
  const healthyOnly = new OpenAiCompatibleEngine({
    ...model.engine,
    endpoints: [model.engine.endpoints[0]!],
  });
  try {
    const mixed = await both.checkHealth(AbortSignal.timeout(5000));
    assert.equal(mixed.healthy, false);
    assert.match(mixed.detail, new RegExp(`${down.replace(/[.:/]/g, '\\$&')} is not reachable`));
    assert.deepEqual(await healthyOnly.checkHealth(AbortSignal.timeout(5000)), {
      healthy: true,
      detail: 'every endpoint answers',
    });
    assert.ok(
      replay.requests.some((request) => request.method === 'GET' && request.path === '/v1/models'),
    );
  } finally {
    await both.close();
    await healthyOnly.close();
    await replay.close();
  }
});
