// The ComfyUI protocol client against the ComfyUI double (a real HTTP + WebSocket server on 127.0.0.1):
// progress and completion over the WebSocket, /history when the socket drops, node_errors and execution_error
// as mapped errors, cancellation (queue deletion, interrupt), and the shortest queue chosen among endpoints.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import sharp from 'sharp';
import { type ComfyUiDouble, startComfyUiDouble } from '../../../test/support/comfyui-double.ts';
import { EngineError } from '../engine-error.ts';
import { type ApiWorkflow, ComfyUiClient, type PromptOutputs } from './comfyui-client.ts';
import { outputFile } from './comfyui-wire.ts';

const SDXL = JSON.parse(
  readFileSync(new URL('../../../examples/comfyui/sdxl-txt2img.json', import.meta.url), 'utf8'),
) as ApiWorkflow;

/** The example workflow at 64×48, with this prompt and seed. */
function workflow(prompt: string, seed = 1): ApiWorkflow {
  const copy = structuredClone(SDXL);
  copy['5']!.inputs = { width: 64, height: 48, batch_size: 1 };
  copy['6']!.inputs.text = prompt;
  copy['3']!.inputs.seed = seed;
  copy['3']!.inputs.steps = 4;
  return copy;
}

const call = () => ({ signal: new AbortController().signal });
const client = (...doubles: ComfyUiDouble[]): ComfyUiClient =>
  new ComfyUiClient(
    {
      endpoints: doubles.map((double, index) => ({
        url: double.url,
        weight: 1,
        name: `c${index}`,
      })),
      timeoutMs: 10_000,
      maxConnections: 4,
    },
    50,
  );

async function run(
  target: ComfyUiClient,
  prompt: ApiWorkflow,
  onProgress?: (value: number) => void,
): Promise<{ outputs: PromptOutputs; promptId: string }> {
  const queued = await target.submit(async () => prompt, call(), 'client-1');
  const outputs = await target.wait(queued, 'client-1', call(), {
    deadline: Date.now() + 10_000,
    ...(onProgress === undefined ? {} : { onProgress: (p) => onProgress(p.value) }),
  });
  return { outputs, promptId: queued.promptId };
}

const failure = (check: (error: EngineError) => boolean) => (error: unknown) =>
  error instanceof EngineError && check(error);

describe('ComfyUiClient', () => {
  let first: ComfyUiDouble;
  let second: ComfyUiDouble;
  const clients: ComfyUiClient[] = [];
  const made = (...doubles: ComfyUiDouble[]) => {
    const made = client(...doubles);
    clients.push(made);
    return made;
  };
  before(async () => {
    [first, second] = await Promise.all([startComfyUiDouble(), startComfyUiDouble()]);
  });
  beforeEach(() => {
    for (const double of [first, second]) {
      double.stepMs = 2;
      double.failNode = undefined;
      double.refuse = undefined;
      if (double.paused) double.resume();
    }
  });
  after(async () => {
    await Promise.all(clients.map((each) => each.close()));
    await Promise.all([first.close(), second.close()]);
  });

  it('runs a workflow: progress over the WebSocket, the saved PNG from /view at the requested size', async () => {
    const comfy = made(first);
    const steps: number[] = [];
    const { outputs } = await run(comfy, workflow('a red fox'), (value) => steps.push(value));
    assert.deepEqual(steps, [1, 2, 3, 4]);
    const [file] = outputFile.array().parse((outputs['9'] as { images: unknown }).images);
    const bytes = await comfy.view(comfy.pool.endpoints[0]!, file!, call());
    const meta = await sharp(bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 48]);
    // The output depends on the inputs: another prompt, another picture.
    const again = await run(comfy, workflow('a blue whale'));
    const [other] = outputFile.array().parse((again.outputs['9'] as { images: unknown }).images);
    const otherBytes = await comfy.view(comfy.pool.endpoints[0]!, other!, call());
    assert.notDeepEqual(
      await sharp(bytes).raw().toBuffer(),
      await sharp(otherBytes).raw().toBuffer(),
    );
    assert.equal(first.submitted.at(-1)?.clientId, 'client-1');
  });

  it('falls back to /history when the WebSocket drops (ComfyUI restarting mid-prompt)', async () => {
    first.stepMs = 60;
    const comfy = made(first);
    let restarted: Promise<void> | undefined;
    const { outputs } = await run(comfy, workflow('restart me'), (value) => {
      if (value === 1) restarted ??= first.restart(100);
    });
    await restarted;
    assert.ok(outputs['9'] !== undefined);
  });

  it('without a WebSocket at all (a proxy that refuses upgrades), /history alone finishes the prompt', async () => {
    first.noWebSocket = true;
    try {
      const { outputs } = await run(made(first), workflow('no socket'));
      assert.ok(outputs['9'] !== undefined);
    } finally {
      first.noWebSocket = false;
    }
  });

  it('health: /system_stats on every endpoint; one down names it', async () => {
    const signal = AbortSignal.timeout(5000);
    assert.deepEqual(await made(first, second).checkHealth(signal), {
      healthy: true,
      detail: 'every endpoint answers',
    });
    const gone = await startComfyUiDouble();
    await gone.close();
    const health = await made(first, gone).checkHealth(signal);
    assert.equal(health.healthy, false);
    assert.match(health.detail, new RegExp(`${gone.url} is not reachable`));
  });

  it('a prompt is found again by its id alone (a new client, as after a Rialto restart)', async () => {
    const { promptId } = await run(made(first), workflow('remember me'));
    const fresh = made(first);
    const state = await fresh.state({ endpoint: fresh.pool.endpoints[0]!, promptId }, call());
    assert.equal(state.state, 'done');
    const lost = await fresh.state(
      { endpoint: fresh.pool.endpoints[0]!, promptId: 'nope' },
      call(),
    );
    assert.equal(lost.state, 'lost');
  });

  it('node_errors (an unknown node, a missing input) are the workflow’s fault: 500, not retried', async () => {
    const comfy = made(first, second);
    const unknown = workflow('x');
    unknown['8']!.class_type = 'NoSuchNode';
    await assert.rejects(
      comfy.submit(async () => unknown, call()),
      failure(
        (error) =>
          error.failure === 'failed' &&
          error.options.status === 500 &&
          !error.retryable &&
          /NoSuchNode does not exist/.test(error.message),
      ),
    );
    const missing = workflow('x');
    delete missing['3']!.inputs.steps;
    await assert.rejects(
      comfy.submit(async () => missing, call()),
      failure((error) => /#3 KSampler: Required input is missing \(steps\)/.test(error.message)),
    );
  });

  it('an execution_error fails the wait with the node named', async () => {
    first.failNode = '8';
    await assert.rejects(
      run(made(first), workflow('boom')),
      failure(
        (error) => error.options.status === 500 && /#8 VAEDecode RuntimeError/.test(error.message),
      ),
    );
  });

  it('cancel interrupts the running prompt by id and deletes a waiting one from the queue', async () => {
    const comfy = made(first);
    first.stepMs = 200;
    const running = await comfy.submit(async () => workflow('long'), call());
    first.paused = true;
    const waiting = await comfy.submit(async () => workflow('waiting'), call());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await comfy.cancel(running);
    await comfy.cancel(waiting);
    assert.deepEqual(first.interrupts.at(-1), {
      promptId: running.promptId,
      running: running.promptId,
    });
    assert.ok(first.deletions.includes(waiting.promptId));
    assert.ok(!first.interrupts.some((entry) => entry.promptId === waiting.promptId));
    const state = await comfy.state(running, call()).catch(() => undefined);
    assert.ok(state === undefined || state.state !== 'pending');
  });

  it('submits to the endpoint with the shortest queue', async () => {
    const comfy = made(first, second);
    second.paused = true;
    for (const text of ['a', 'b', 'c', 'd']) {
      const queued = await made(second).submit(async () => workflow(text), call());
      assert.equal(queued.endpoint.url, second.url);
    }
    for (let index = 0; index < 3; index += 1) {
      const queued = await comfy.submit(async () => workflow(`c${index}`), call());
      assert.equal(queued.endpoint.label, 'c0', 'the idle endpoint gets every prompt');
    }
    second.resume();
  });
});
