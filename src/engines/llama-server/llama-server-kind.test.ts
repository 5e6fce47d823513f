// The llama-server kind without its binary: what it refuses at start, and the command line it would run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config.ts';
import type { LlamaServerEngineConfig } from '../../config/engine-config.ts';
import type { ModelOf } from '../engine-kind.ts';
import { llamaServerArguments, llamaServerBinary } from './llama-server-arguments.ts';
import { llamaServerKind } from './llama-server-kind.ts';

function model(
  engine: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): ModelOf<LlamaServerEngineConfig> {
  const parsed = parseConfig({
    discoverModels: false,
    models: [{ id: 'm', engine: { kind: 'llama-server', path: 'm.gguf', ...engine }, ...extra }],
  }).models[0]!;
  if (parsed.engine.kind !== 'llama-server') throw new Error('the config parsed to another kind');
  return { ...parsed, engine: parsed.engine };
}

describe('the llama-server kind', () => {
  test('a vision model needs its projector; audio and video input are refused', () => {
    assert.throws(
      () => llamaServerKind.check?.(model({}, { capabilities: { supportsVision: true } })),
      /needs its projector: set engine.mmproj/,
    );
    assert.doesNotThrow(() =>
      llamaServerKind.check?.(
        model({ mmproj: 'mmproj.gguf' }, { capabilities: { supportsVision: true } }),
      ),
    );
    assert.doesNotThrow(() => llamaServerKind.check?.(model({})));
    assert.throws(
      () =>
        llamaServerKind.check?.(
          model({ mmproj: 'mmproj.gguf' }, { capabilities: { supportsAudioInput: true } }),
        ),
      /text and images only/,
    );
  });

  test('the command line: its socket, the context of every sequence, the projector, extra options last', () => {
    const options = llamaServerArguments(
      model({
        mmproj: 'p/mmproj.gguf',
        contextSize: 1024,
        sequences: 4,
        threads: 3,
        arguments: ['--flash-attn', 'on'],
      }),
      '/models',
      '/tmp/rialto-llama-x/server.sock',
    );
    const value = (flag: string): string | undefined => options[options.indexOf(flag) + 1];
    assert.equal(value('--host'), '/tmp/rialto-llama-x/server.sock');
    assert.equal(options.includes('--port'), false);
    assert.equal(value('--model'), '/models/m.gguf');
    assert.equal(value('--ctx-size'), '4096');
    assert.equal(value('--parallel'), '4');
    assert.ok(options.includes('--no-kv-unified'));
    assert.equal(value('--threads'), '3');
    assert.equal(value('--mmproj'), '/models/p/mmproj.gguf');
    assert.deepEqual(options.slice(-2), ['--flash-attn', 'on']);
  });

  test("the context defaults to the model's contextLength per sequence", () => {
    const options = llamaServerArguments(
      model({ sequences: 2 }, { contextLength: 2048 }),
      '/models',
      '/tmp/s.sock',
    );
    assert.equal(options[options.indexOf('--ctx-size') + 1], '4096');
  });

  test("the binary: the model's own, else $RIALTO_LLAMA_SERVER (the container image's), else the build script's", async () => {
    assert.equal(await llamaServerBinary('/opt/own', '/usr/local/bin/llama-server'), '/opt/own');
    assert.equal(
      await llamaServerBinary(undefined, '/usr/local/bin/llama-server'),
      '/usr/local/bin/llama-server',
    );
    // Without either, the script says where its build is, or how to build it.
    const scripts = await llamaServerBinary(undefined, '').then(
      (path) => path,
      (error: Error) => error.message,
    );
    assert.match(scripts, /llama-server/);
    assert.notEqual(scripts, '');
  });
});
