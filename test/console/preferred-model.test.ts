// The console's playground starts on a model that can serve (issue #16.2: it preselected a dead Ollama upstream).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Model } from '../../console/src/api-types.ts';
import { preferredModel } from '../../console/src/pages/playground/preferred-model.ts';

const model = (id: string, spec: Partial<Model['model_spec']> = {}): Model => ({
  id,
  type: 'text',
  model_spec: { name: id, ...spec },
});

describe('preferredModel', () => {
  it('skips an offline default for a serving model', () => {
    assert.equal(
      preferredModel([model('llama3.2', { offline: true, traits: ['default'] }), model('tiny')]),
      'tiny',
    );
  });
  it('prefers the serving model with the default trait', () => {
    assert.equal(
      preferredModel([model('a'), model('b', { traits: ['default'] }), model('c')]),
      'b',
    );
  });
  it('falls back to the first model when none serves, and to nothing when there is none', () => {
    assert.equal(
      preferredModel([model('x', { offline: true }), model('y', { offline: true })]),
      'x',
    );
    assert.equal(preferredModel([]), '');
  });
});
