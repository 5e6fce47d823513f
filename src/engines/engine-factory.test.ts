import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../config.ts';
import { createModelEntries } from './engine-factory.ts';

describe('createModelEntries', () => {
  const logger = pino({ level: 'silent' });

  it('refuses a llama-cpp model that declares image, audio or video input: the engine takes text only', async () => {
    for (const capability of ['supportsVision', 'supportsAudioInput', 'supportsVideoInput']) {
      const config = parseConfig({
        models: [
          {
            id: 'local-vision',
            engine: { kind: 'llama-cpp', path: '/nowhere/model.gguf' },
            capabilities: { [capability]: true },
          },
        ],
      });
      await assert.rejects(
        createModelEntries(config, config.models, logger),
        /model local-vision: the llama-cpp engine takes text only/,
      );
    }
  });

  it('refuses a model type its engine cannot serve', async () => {
    const config = parseConfig({
      models: [
        { id: 'speaker', type: 'tts', engine: { kind: 'llama-cpp', path: '/nowhere/model.gguf' } },
      ],
    });
    await assert.rejects(
      createModelEntries(config, config.models, logger),
      /a tts model cannot use the llama-cpp engine/,
    );
  });
});
