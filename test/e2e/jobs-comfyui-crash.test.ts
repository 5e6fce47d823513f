// Issue #18 part B at the process level: `rialto serve` runs a video and a music job on comfyui models (the
// ComfyUI double, a real HTTP + WebSocket server in this test's process) and is killed with SIGKILL while both
// prompts are on ComfyUI (one running, one waiting). Restarted, it finds both prompts again by their ids: each
// was queued on ComfyUI once, completes, and is charged once; the books add up.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toNanos } from '../../src/services/billing/money.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import { startComfyUiDouble } from '../support/comfyui-double.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { RIALTO_BIN, type SpawnedRialto, spawnRialto } from '../support/spawn-rialto.ts';
import { writeExampleWorkflows } from './comfyui-support.ts';

const BOUND_MS = 120_000;
/** $0.01 a second of video (2 s), $0.01 a second of music (3 s). */
const VIDEO_QUOTE = 0.02;
const MUSIC_QUOTE = 0.03;

async function call(server: SpawnedRialto, key: string, path: string, body: unknown) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function mediaOf(
  server: SpawnedRialto,
  key: string,
  path: string,
  queueId: string,
): Promise<string> {
  const end = Date.now() + BOUND_MS;
  for (;;) {
    const response = await call(server, key, path, { queue_id: queueId });
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 200 && !type.startsWith('application/json')) {
      await response.arrayBuffer();
      return type;
    }
    const text = await response.text();
    assert.equal(response.status, 200, text);
    if (Date.now() > end) assert.fail(`job ${queueId} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('SIGKILL while a video and a music prompt are on ComfyUI, then a restart: each is found by its prompt id, queued once, charged once', async () => {
  const double = await startComfyUiDouble();
  const directory = mkdtempSync(join(tmpdir(), 'rialto-comfyui-crash-'));
  const workflows = writeExampleWorkflows({ video: 20 });
  const engine = (workflow: string, inputs: string, output: string): string =>
    `{ kind: comfyui, endpoints: [{ url: "${double.url}" }], workflow: ${workflow}, inputs: ${inputs}, outputs: ["${output}"] }`;
  const config = join(directory, 'rialto.yaml');
  writeFileSync(
    config,
    [
      'server: { port: 0 }',
      'dataDirectory: ./data',
      'logLevel: info',
      'rateLimits: { enabled: false }',
      'discoverModels: false',
      // A dead process's jobs are taken over 2 s after its last claim renewal.
      'jobs: { workers: 4, pollIntervalMs: 100, claimSeconds: 2 }',
      'models:',
      `  - id: clip`,
      '    type: video',
      `    engine: ${engine(workflows.video, '{ prompt: { node: "6", input: text }, length: { node: "40", input: length }, fps: { node: "49", input: fps } }', '50')}`,
      '    videoConstraints: { durations: ["2s"], resolutions: ["256p"], aspect_ratios: ["16:9"] }',
      '    pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 }, per_second: { usd: 0.01, diem: 0.01 } }',
      `  - id: tune`,
      '    type: music',
      `    engine: ${engine(workflows.music, '{ prompt: { node: "14", input: tags }, duration: { node: "17", input: seconds } }', '59')}`,
      '    music: { max_duration: 10 }',
      '    pricing: { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 }, per_second: { usd: 0.01, diem: 0.01 } }',
      '',
    ].join('\n'),
  );
  const key = spawnSync(
    process.execPath,
    [RIALTO_BIN, 'keys', 'create', '--type', 'INFERENCE', '--config', config],
    { encoding: 'utf8' },
  ).stdout.trim();
  assert.match(key, /^rk-/);
  assert.equal(
    spawnSync(process.execPath, [RIALTO_BIN, 'balance', 'add', '10', '--config', config]).status,
    0,
  );
  const database = join(directory, 'data', 'rialto.db');
  let server = await spawnRialto(config);
  try {
    // Slow steps: the video runs for seconds, the music waits behind it.
    double.stepMs = 300;
    const video = await call(server, key, '/video/queue', {
      model: 'clip',
      prompt: 'a crash in the middle',
      duration: '2s',
    });
    assert.equal(video.status, 200);
    const videoId = ((await video.json()) as { queue_id: string }).queue_id;
    const music = await call(server, key, '/audio/queue', {
      model: 'tune',
      prompt: 'waiting behind the video',
      duration_seconds: 3,
    });
    assert.equal(music.status, 200);
    const musicId = ((await music.json()) as { queue_id: string }).queue_id;
    const end = Date.now() + BOUND_MS;
    while (double.running === undefined || double.pending.length === 0) {
      if (Date.now() > end) assert.fail('the prompts did not both reach ComfyUI');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const store = await openSqliteStore(database);
    try {
      assert.deepEqual(await store.jobs.countByState(), { PROCESSING: 2 });
      assert.equal(
        (await store.accounts.find('default'))!.usdReserved,
        toNanos(VIDEO_QUOTE + MUSIC_QUOTE),
      );
    } finally {
      await store.close();
    }
    server.child.kill('SIGKILL');
    await once(server.child, 'exit');
    double.stepMs = 2;

    server = await spawnRialto(config);
    assert.equal(await mediaOf(server, key, '/video/retrieve', videoId), 'video/mp4');
    assert.match(await mediaOf(server, key, '/audio/retrieve', musicId), /^audio\//);
    assert.equal(double.submitted.length, 2, 'each prompt was queued on ComfyUI once');
    const after = await openSqliteStore(database);
    try {
      const records = await assertBooksBalance(after, 10);
      assert.deepEqual(
        records.map((record) => [record.requestId, record.status, record.amount]).sort(),
        [
          [videoId, 'completed', toNanos(VIDEO_QUOTE)],
          [musicId, 'completed', toNanos(MUSIC_QUOTE)],
        ].sort(),
      );
      assert.deepEqual(await after.jobs.countByState(), { COMPLETED: 2 });
    } finally {
      await after.close();
    }
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await once(server.child, 'exit');
    }
    await double.close();
    rmSync(directory, { recursive: true, force: true });
    rmSync(workflows.folder, { recursive: true, force: true });
  }
});
