import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { z } from 'zod';
import { espeakNgEngine, type EspeakNgEngineConfig } from '../config/engine-config.ts';
import { parseConfig, type ModelConfig } from '../config.ts';
import { VeniceError } from '../errors/venice-error.ts';
import { ModelRegistry } from '../services/model-registry.ts';
import type { SpeechEngine } from './engine.ts';
import { createEngineSet } from './engine-factory.ts';
import { engineFor } from './engine-for.ts';
import type { EngineKind, EngineKindConfig } from './engine-kind.ts';
import { builtInEngineRegistry } from './engine-kinds.ts';
import { EngineRegistry } from './engine-registry.ts';

const logger = pino({ level: 'silent' });
const context = { logger, modelsDirectory: '/nowhere/models' };

/** The smallest SpeechEngine: the registry, not the engine, is under test here. */
function speaker(kind: string, voices: readonly string[], closed: string[] = []): SpeechEngine {
  return {
    kind,
    modality: 'speech',
    voices: () => voices,
    formats: () => ['wav'],
    synthesize: () => Promise.reject(new Error('not under test')),
    checkHealth: () => Promise.resolve({ healthy: true, detail: 'ok' }),
    close: async () => {
      closed.push(`engine ${voices.join(',')}`);
    },
  };
}

function ttsModel(
  id: string,
  engine: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): ModelConfig {
  const [model] = parseConfig({ models: [{ id, type: 'tts', engine, ...extra }] }).models;
  assert.ok(model !== undefined);
  return model;
}

/** A kind of this test's own, with a config section of its own: nothing in the registry names it. */
const robotConfig = z.strictObject({
  kind: z.literal('robot'),
  voice: z.string().default('robot-1'),
});
const robotKind: EngineKind<z.infer<typeof robotConfig>> = {
  kind: 'robot',
  modelTypes: ['tts'],
  configSchema: robotConfig,
  open: () => ({
    create: (model) =>
      Promise.resolve({
        engine: speaker('robot', [model.engine.voice]),
        engineModel: `${model.id}-v2`,
      }),
  }),
};

describe('EngineRegistry', () => {
  it('an unknown engine kind is refused by the config as before, and by a registry that lacks it', () => {
    assert.throws(
      () => parseConfig({ models: [{ id: 'x', engine: { kind: 'whisper-cpp', path: 'a' } }] }),
      {
        name: 'ConfigError',
        message:
          "Invalid configuration (config):\n  - models.0.engine.kind: Invalid discriminator value. Expected 'llama-cpp' | 'llama-server' | 'openai-compatible' | 'espeak-ng' | 'pocketsphinx' | 'automatic1111' | 'esrgan' | 'onnx-background-removal' | 'venice' | 'sherpa-onnx' | 'comfyui' | 'chatterbox'",
      },
    );
    const model: Omit<ModelConfig, 'engine'> & { engine: EngineKindConfig } = {
      ...ttsModel('speaker', { kind: 'espeak-ng' }),
      engine: { kind: 'robot' },
    };
    assert.throws(() => builtInEngineRegistry().open(context).plan(model), {
      message: 'model speaker: no engine kind robot is registered',
    });
  });

  it('a kind registered from outside the registry serves its models, its config parsed by its own schema', async () => {
    const registry = builtInEngineRegistry().register(robotKind);
    assert.deepEqual(registry.modelTypesOf('robot'), ['tts']);
    const model = { ...ttsModel('talker', { kind: 'espeak-ng' }), engine: { kind: 'robot' } };
    const plan = registry.open(context).plan(model);
    assert.equal(plan.file, undefined);
    const created = await plan.start();
    assert.equal(created.engineModel, 'talker-v2');
    assert.deepEqual(
      engineFor(created, 'speech').voices('talker-v2'),
      ['robot-1'],
      'the default of its own schema',
    );
    const unknownField = { kind: 'robot', pitch: 2 };
    assert.throws(
      () => registry.open(context).plan({ ...model, engine: unknownField }),
      z.ZodError,
    );
    assert.throws(() => registry.register(robotKind), {
      message: 'engine kind robot is registered twice',
    });
  });

  it('refuses a model type the kind does not serve, as before', () => {
    const registry = new EngineRegistry().register(robotKind);
    const model = {
      ...ttsModel('talker', { kind: 'espeak-ng' }),
      type: 'asr' as const,
      engine: { kind: 'robot' },
    };
    assert.throws(() => registry.open(context).plan(model), {
      message: 'model talker: a asr model cannot use the robot engine',
    });
  });
});

describe('engineFor', () => {
  it('gives the engine of the modality asked, and for another the 400 INVALID_MODEL an endpoint gives a model of another type', async () => {
    const entry = {
      config: ttsModel('speaker', { kind: 'espeak-ng' }),
      engine: speaker('espeak-ng', ['en']),
      engineModel: 'speaker',
    };
    assert.equal(engineFor(entry, 'speech'), entry.engine);
    const fromEndpoint = ((): unknown => {
      try {
        return new ModelRegistry([entry]).resolve('speaker', 'text');
      } catch (error) {
        return error;
      }
    })();
    assert.ok(fromEndpoint instanceof VeniceError);
    for (const modality of [
      'text',
      'transcription',
      'image',
      'upscale',
      'background-removal',
      'job',
    ] as const) {
      assert.throws(
        () => engineFor(entry, modality),
        (error) => {
          assert.ok(error instanceof VeniceError);
          assert.deepEqual(
            { code: error.code, status: error.status, message: error.message },
            { code: fromEndpoint.code, status: 400, message: fromEndpoint.message },
          );
          return true;
        },
      );
    }
  });
});

describe('createEngineSet over a registry', () => {
  /** espeak-ng's config section, served by this test's own kind in a registry of its own. */
  function recordingKind(
    events: string[],
    fail: (config: EspeakNgEngineConfig) => boolean,
  ): EngineKind<EspeakNgEngineConfig> {
    return {
      kind: 'espeak-ng',
      modelTypes: ['tts'],
      configSchema: espeakNgEngine,
      fileOf: (config) => `/voices/${config.command}`,
      open: () => ({
        create: (model) =>
          fail(model.engine)
            ? Promise.reject(new Error('no such voice'))
            : Promise.resolve({ engine: speaker('espeak-ng', [model.id], events) }),
        close: async () => {
          events.push('kind');
        },
      }),
    };
  }

  it('closes every engine before what the kinds share, and names the file in a failure', async () => {
    const events: string[] = [];
    const registry = new EngineRegistry().register(
      recordingKind(events, (config) => config.command === 'broken'),
    );
    const set = createEngineSet(parseConfig({}), logger, registry);
    await set.create(ttsModel('one', { kind: 'espeak-ng' }));
    await set.create(ttsModel('two', { kind: 'espeak-ng' }));
    await assert.rejects(set.create(ttsModel('three', { kind: 'espeak-ng', command: 'broken' })), {
      message: 'model three: /voices/broken: no such voice',
    });
    assert.equal(
      await set.create(
        ttsModel('four', { kind: 'espeak-ng', command: 'broken' }, { optional: true }),
      ),
      undefined,
      'an optional model is left out',
    );
    await set.close();
    assert.deepEqual(events.slice(-1), ['kind']);
    assert.deepEqual(events.slice(0, -1).sort(), ['engine one', 'engine two']);
  });
});
