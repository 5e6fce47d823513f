// The sherpa-onnx kind: a family must match the model's type (a tts model with an asr family is refused before
// anything loads), and the kind serves only tts and asr models.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../config.ts';
import { builtInEngineRegistry } from '../engine-kinds.ts';

const plan = (type: string, family: string) => {
  const config = parseConfig({
    models: [{ id: 'speech', type, engine: { kind: 'sherpa-onnx', family, path: 'folder' } }],
  });
  const set = builtInEngineRegistry().open({
    logger: pino({ level: 'silent' }),
    modelsDirectory: '/models',
  });
  const [model] = config.models;
  assert.ok(model !== undefined);
  return set.plan(model);
};

describe('sherpa-onnx kind', () => {
  it('plans a tts model of a tts family and an asr model of an asr family, naming the folder', () => {
    assert.equal(plan('tts', 'kokoro').file, '/models/folder');
    assert.equal(plan('asr', 'whisper').file, '/models/folder');
  });

  it('refuses a family of the other type, and a model type it does not serve', () => {
    assert.throws(
      () => plan('tts', 'whisper'),
      /a tts model needs a sherpa-onnx tts family .* not whisper/,
    );
    assert.throws(
      () => plan('asr', 'kokoro'),
      /an asr model needs a sherpa-onnx asr family .* not kokoro/,
    );
    assert.throws(() => plan('text', 'kokoro'), /sherpa-onnx|type/);
  });

  it('refuses ZipVoice when the config is read: it needs a transcript of each sample, which Venice never sends', () => {
    assert.throws(
      () => plan('tts', 'zipvoice'),
      /family zipvoice is not served.*use family pocket/s,
    );
    assert.equal(plan('tts', 'pocket').file, '/models/folder');
  });
});
