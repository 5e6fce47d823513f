// Issue #4: with 4 Rialto processes sharing PostgreSQL and Redis, a limit of N requests per minute admits
// exactly N; and a key's spend limit holds across them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { RIALTO_BIN, spawnRialto, type SpawnedRialto } from '../support/spawn-rialto.ts';
import { tearDownReplicas } from '../support/replica-teardown.ts';
import { TEST_DATABASE_URL, uniqueSchemaName } from '../support/postgres-test-database.ts';

const LIMIT = 12;

test(`4 processes on PostgreSQL and Redis admit exactly ${LIMIT} of 60 requests a minute allows ${LIMIT} of`, async () => {
  const replay = await startReplayServer({ flavor: 'vllm' });
  const directory = mkdtempSync(join(tmpdir(), 'rialto-replicas-'));
  const schema = uniqueSchemaName();
  const prefix = `rialto-test:${schema}`;
  const environment = { ...process.env, DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}` };
  const config = join(directory, 'rialto.yaml');
  writeFileSync(
    config,
    [
      'server: { port: 0 }',
      'dataDirectory: ./data',
      'logLevel: info',
      'systemPrompt: ""',
      `rateLimits: { enabled: true, store: redis, redisUrl: "redis://127.0.0.1:6379", redisPrefix: "${prefix}", overrides: { S: { requestsPerMinute: ${LIMIT} } } }`,
      'models:',
      '  - id: paid',
      '    engine: { kind: openai-compatible, model: Qwen/Qwen3-8B, endpoints: [{ url: "' +
        replay.url +
        '" }] }',
      '    pricing: { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } }',
      '',
    ].join('\n'),
  );
  const servers: SpawnedRialto[] = [];
  try {
    const key = spawnSync(
      process.execPath,
      [RIALTO_BIN, 'keys', 'create', '--type', 'INFERENCE', '--config', config],
      { encoding: 'utf8', env: environment },
    ).stdout.trim();
    assert.match(key, /^rk-/);
    assert.equal(
      spawnSync(process.execPath, [RIALTO_BIN, 'balance', 'add', '10', '--config', config], {
        env: environment,
      }).status,
      0,
    );
    servers.push(
      ...(await Promise.all(Array.from({ length: 4 }, () => spawnRialto(config, environment)))),
    );
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, index) => {
        const response = await fetch(`${servers[index % 4]!.url}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'paid',
            messages: [{ role: 'user', content: '#plain hi' }],
            max_tokens: 8,
            stream: index % 2 === 0,
          }),
        });
        await response.text();
        return response.status;
      }),
    );
    assert.equal(statuses.filter((status) => status === 200).length, LIMIT);
    assert.equal(statuses.filter((status) => status === 429).length, 60 - LIMIT);
  } finally {
    await replay.close();
    await tearDownReplicas(
      servers.map(({ child }) => child),
      { redisPrefix: prefix, schema, directory },
    );
  }
});
