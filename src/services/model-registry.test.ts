import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelConfigSchema } from '../config.ts';
import type { TextEngine } from '../engines/engine.ts';
import { VeniceError } from '../errors/venice-error.ts';
import { validateSchema } from '../../test/support/spec/spec-validator.ts';
import { ModelRegistry, type ModelEntry } from './model-registry.ts';

const engine: TextEngine = {
  kind: 'stub',
  modality: 'text',
  streamChat: async function* () {
    /* never called here */
  },
  embed: async () => ({ vectors: [], promptTokens: 0 }),
  countTokens: async () => 0,
  checkHealth: async () => ({ healthy: true, detail: 'never called here' }),
  close: async () => undefined,
};

function entry(raw: Record<string, unknown>): ModelEntry {
  const config = modelConfigSchema.parse({
    engine: { kind: 'openai-compatible', endpoints: [{ url: 'http://127.0.0.1:1/v1' }] },
    ...raw,
  });
  return { config, engine, engineModel: config.id };
}

const NOW = new Date('2026-06-01T00:00:00Z');
const registry = (...raws: Record<string, unknown>[]): ModelRegistry =>
  new ModelRegistry(raws.map(entry), () => NOW);

function expectCode(action: () => unknown, code: string, status: number): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof VeniceError);
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    return true;
  });
}

describe('ModelRegistry.resolve', () => {
  const models = registry(
    { id: 'alpha', traits: ['fast'], aliases: ['gpt-4o'] },
    { id: 'beta', traits: ['default', 'most_uncensored'], aliases: ['fast', 'claude'] },
    { id: 'fast', aliases: [] },
    { id: 'uncensored' },
    { id: 'venice-uncensored' },
    { id: 'embedder', type: 'embedding', traits: ['default'], aliases: ['text-embedding-3-small'] },
  );
  const idOf = (model: string, type: 'text' | 'embedding' = 'text'): string =>
    models.resolve(model, type).entry.config.id;

  it('an exact id wins over a trait and an alias of the same name', () => {
    assert.equal(idOf('fast'), 'fast');
  });

  it('a trait resolves to the model claiming it', () => {
    assert.equal(idOf('most_uncensored'), 'beta');
    assert.equal(idOf('default'), 'beta');
    assert.equal(idOf('default', 'embedding'), 'embedder');
  });

  it('a compatibility alias resolves when no id or trait matches', () => {
    assert.equal(idOf('gpt-4o'), 'alpha');
    assert.equal(idOf('claude'), 'beta');
    assert.equal(idOf('text-embedding-3-small', 'embedding'), 'embedder');
  });

  it('strips venice- only when the exact id does not exist', () => {
    assert.equal(idOf('venice-uncensored'), 'venice-uncensored');
    assert.equal(idOf('venice-alpha'), 'alpha');
    assert.equal(idOf('venice-gpt-4o'), 'alpha');
    expectCode(() => models.resolve('venice-nothing', 'text'), 'MODEL_NOT_FOUND', 404);
  });

  it('parses the feature suffix, on ids and traits alike', () => {
    const resolved = models.resolve(
      'alpha:strip_thinking_response=true&enable_web_search=off',
      'text',
    );
    assert.equal(resolved.entry.config.id, 'alpha');
    assert.deepEqual(resolved.suffixParameters, {
      strip_thinking_response: true,
      enable_web_search: 'off',
    });
    const viaTrait = models.resolve('default:disable_thinking=true', 'text');
    assert.equal(viaTrait.entry.config.id, 'beta');
    assert.deepEqual(viaTrait.suffixParameters, { disable_thinking: true });
    assert.deepEqual(models.resolve('alpha', 'text').suffixParameters, {});
  });

  it('a bad suffix is a 400, an unknown model a 404, a model of another type a 400', () => {
    expectCode(() => models.resolve('alpha:nope=1', 'text'), 'INVALID_REQUEST', 400);
    expectCode(() => models.resolve('nothing', 'text'), 'MODEL_NOT_FOUND', 404);
    expectCode(() => models.resolve('embedder', 'text'), 'INVALID_MODEL', 400);
    expectCode(() => models.resolve('alpha', 'embedding'), 'INVALID_MODEL', 400);
    // A trait or alias of the other type does not leak across.
    expectCode(() => models.resolve('text-embedding-3-small', 'text'), 'MODEL_NOT_FOUND', 404);
  });
});

describe('ModelRegistry lists, traits and aliases', () => {
  const models = registry(
    { id: 'first' },
    { id: 'coder', capabilities: { optimizedForCode: true } },
    { id: 'embedder', type: 'embedding' },
  );

  it('filters /models by type, with all and code', () => {
    const ids = (type: Parameters<ModelRegistry['list']>[0]): string[] =>
      models.list(type).map((model) => model.config.id);
    assert.deepEqual(ids('text'), ['first', 'coder']);
    assert.deepEqual(ids('embedding'), ['embedder']);
    assert.deepEqual(ids('all'), ['first', 'coder', 'embedder']);
    assert.deepEqual(ids('code'), ['coder']);
    assert.deepEqual(ids('image'), []);
  });

  it('the first model of a type is its default unless one claims it', () => {
    assert.deepEqual(models.traits('text'), { default: 'first' });
    assert.deepEqual(models.traits('embedding'), { default: 'embedder' });
    assert.deepEqual(models.traits('image'), {});
    const claimed = registry({ id: 'a', traits: ['fastest'] }, { id: 'b', traits: ['default'] });
    assert.deepEqual(claimed.traits('text'), { fastest: 'a', default: 'b' });
  });

  it('a trait claimed twice goes to the first model', () => {
    assert.deepEqual(
      registry({ id: 'a', traits: ['x'] }, { id: 'b', traits: ['x'] }).traits('text'),
      { x: 'a', default: 'a' },
    );
  });

  it('compatibilityMapping lists aliases per type', () => {
    const mapped = registry(
      { id: 'a', aliases: ['gpt-4o'] },
      { id: 'e', type: 'embedding', aliases: ['ada'] },
    );
    assert.deepEqual(mapped.compatibilityMapping('text'), { 'gpt-4o': 'a' });
    assert.deepEqual(mapped.compatibilityMapping('embedding'), { ada: 'e' });
  });
});

describe('deprecated and removed models', () => {
  const past = { date: '2026-01-01T00:00:00Z', removesAt: '2026-05-01T00:00:00Z' };
  const future = {
    date: '2026-01-01T00:00:00Z',
    removesAt: '2026-12-01T00:00:00Z',
    replacementModelId: 'new',
  };
  const models = registry(
    { id: 'new' },
    {
      id: 'remapped',
      traits: ['most_intelligent'],
      deprecation: { ...past, autoRemap: true, replacementModelId: 'new' },
    },
    { id: 'gone', deprecation: { ...past, replacementModelId: 'new' } },
    { id: 'gone-no-target', deprecation: { ...past, autoRemap: true } },
    { id: 'gone-to-gone', deprecation: { ...past, autoRemap: true, replacementModelId: 'gone' } },
    { id: 'sunsetting', deprecation: future },
  );

  it('a model past removesAt is hidden from lists and traits', () => {
    assert.deepEqual(
      models.list('text').map((model) => model.config.id),
      ['new', 'sunsetting'],
    );
    assert.equal(models.traits('text').most_intelligent, undefined);
  });

  it('using it remaps to the replacement when autoRemap is set', () => {
    assert.equal(models.resolve('remapped', 'text').entry.config.id, 'new');
  });

  it('otherwise it is 410 MODEL_REMOVED', () => {
    expectCode(() => models.resolve('gone', 'text'), 'MODEL_REMOVED', 410);
    expectCode(() => models.resolve('gone-no-target', 'text'), 'MODEL_REMOVED', 410);
    expectCode(() => models.resolve('gone-to-gone', 'text'), 'MODEL_REMOVED', 410);
  });

  it('a model still in its notice period is listed and served as itself', () => {
    assert.equal(models.resolve('sunsetting', 'text').entry.config.id, 'sunsetting');
  });
});

describe('toModelResponse', () => {
  const models = registry(
    {
      id: 'text-model',
      name: 'Text Model',
      description: 'A model',
      contextLength: 4096,
      maxCompletionTokens: 1024,
      traits: ['default'],
      capabilities: {
        supportsReasoning: true,
        supportsReasoningEffort: true,
        reasoningEffortOptions: ['low', 'high'],
        defaultReasoningEffort: 'low',
      },
    },
    { id: 'embedder', type: 'embedding', embeddingDimensions: 768, supportsCustomDimensions: true },
    {
      id: 'old',
      deprecation: {
        date: '2026-01-01T00:00:00Z',
        removesAt: '2026-12-01T00:00:00Z',
        replacementModelId: 'text-model',
        warning: 'internal note',
      },
    },
  );
  const responseOf = (id: string): Record<string, unknown> =>
    models.toModelResponse(models.resolve(id, id === 'embedder' ? 'embedding' : 'text').entry);

  it('a text model matches ModelResponse and carries the OpenAI extras', () => {
    const response = responseOf('text-model');
    validateSchema('ModelResponse', response);
    assert.equal(response.context_length, 4096);
    const spec = response.model_spec as Record<string, unknown>;
    assert.equal(spec.availableContextTokens, 4096);
    assert.equal(spec.maxCompletionTokens, 1024);
    assert.equal(spec.name, 'Text Model');
  });

  it('an embedding model matches ModelResponse', () => {
    const response = responseOf('embedder');
    validateSchema('ModelResponse', response);
    assert.equal((response.model_spec as Record<string, unknown>).embeddingDimensions, 768);
  });

  it('a deprecated model matches ModelResponse and keeps the operator warning private', () => {
    const response = responseOf('old');
    validateSchema('ModelResponse', response);
    const deprecation = (response.model_spec as { deprecation: Record<string, unknown> })
      .deprecation;
    assert.equal(deprecation.date, '2026-01-01T00:00:00Z');
    assert.equal(deprecation.replacementModelId, 'text-model');
    assert.equal(deprecation.autoRemap, false);
    assert.equal('warning' in deprecation, false);
  });
});
