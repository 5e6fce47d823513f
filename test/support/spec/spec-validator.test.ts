import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SpecValidationError,
  chatCompletionChunkSchema,
  documentedStatuses,
  swaggerPath,
  validateChatCompletionChunk,
  validateResponse,
  validateSchema,
} from './spec-validator.ts';

function chatCompletion(): Record<string, unknown> {
  return {
    choices: [
      {
        finish_reason: 'stop',
        index: 0,
        logprobs: null,
        message: {
          content: 'The sky appears blue because of Rayleigh scattering.',
          reasoning_content: null,
          role: 'assistant',
          tool_calls: [],
        },
        stop_reason: null,
      },
    ],
    created: 1739928524,
    cost: { diem: 0, usd: 0.00042 },
    id: 'chatcmpl-a81fbc2d81a7a083bb83ccf9f44c6e5e',
    model: 'zai-org-glm-5-1',
    object: 'chat.completion',
    prompt_logprobs: null,
    usage: {
      completion_tokens: 146,
      completion_tokens_details: null,
      prompt_tokens: 612,
      prompt_tokens_details: null,
      total_tokens: 758,
    },
    venice_parameters: {
      enable_e2ee: false,
      include_venice_system_prompt: true,
      include_search_results_in_stream: false,
      return_search_results_as_documents: false,
      web_search_citations: [],
      enable_web_search: 'auto',
      enable_web_scraping: false,
      enable_web_citations: true,
      strip_thinking_response: false,
      disable_thinking: false,
      character_slug: 'venice',
    },
  };
}

const textModel = {
  created: 1727966436,
  id: 'llama-3.2-3b',
  model_spec: {
    availableContextTokens: 131072,
    capabilities: {
      optimizedForCode: false,
      quantization: 'fp16',
      supportsAudioInput: false,
      supportsFunctionCalling: true,
      supportsLogProbs: true,
      supportsMultipleImages: false,
      supportsReasoning: false,
      supportsReasoningEffort: false,
      supportsResponseSchema: true,
      supportsTeeAttestation: false,
      supportsE2EE: false,
      supportsVision: false,
      supportsVideoInput: false,
      supportsWebSearch: true,
      supportsXSearch: false,
    },
    constraints: { temperature: { default: 0.8 }, top_p: { default: 0.9 } },
    description: 'Compact and efficient model.',
    name: 'Llama 3.2 3B',
    modelSource: 'https://huggingface.co/meta-llama/Llama-3.2-3B',
    offline: false,
    privacy: 'private',
    pricing: { input: { usd: 0.15, diem: 0.15 }, output: { usd: 0.6, diem: 0.6 } },
    traits: ['fastest'],
  },
  object: 'model',
  owned_by: 'venice.ai',
  type: 'text',
};

const detailedError = {
  error: 'Invalid request parameters',
  details: { _errors: [], model: { _errors: ['Required'] } },
  issues: [],
};

describe('spec-validator: chat completions', () => {
  it('accepts the documented example response', () => {
    validateResponse({
      method: 'POST',
      path: '/chat/completions',
      status: 200,
      body: chatCompletion(),
    });
  });

  it('accepts the /api/v1 prefix, a query string and a charset parameter', () => {
    validateResponse({
      method: 'post',
      path: '/api/v1/chat/completions?x=1',
      status: '200',
      contentType: 'application/json; charset=utf-8',
      body: chatCompletion(),
    });
  });

  it('rejects a response missing `created`, with a readable message', () => {
    const body = chatCompletion();
    delete body['created'];
    assert.throws(
      () => validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body }),
      (error: unknown) => {
        assert.ok(error instanceof SpecValidationError);
        assert.match(error.message, /must have required property 'created'/);
        assert.match(error.message, /POST \/chat\/completions → 200/);
        assert.match(error.message, /Body: \{/);
        return true;
      },
    );
  });

  it('rejects wrong nested types (finish_reason outside the enum, missing usage.total_tokens)', () => {
    const body = chatCompletion();
    (body['choices'] as Array<Record<string, unknown>>)[0]!['finish_reason'] = 'content_filter';
    (body['usage'] as Record<string, unknown>)['total_tokens'] = undefined;
    delete (body['usage'] as Record<string, unknown>)['total_tokens'];
    assert.throws(
      () => validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body }),
      /finish_reason must be equal to one of the allowed values[\s\S]*total_tokens/,
    );
  });

  it('accepts a 400 DetailedError and rejects a 400 without `error`', () => {
    validateResponse({
      method: 'POST',
      path: '/chat/completions',
      status: 400,
      body: detailedError,
    });
    assert.throws(
      () =>
        validateResponse({
          method: 'POST',
          path: '/chat/completions',
          status: 400,
          body: { details: {} },
        }),
      SpecValidationError,
    );
  });

  it('accepts StandardError for 401/429/500/503/504', () => {
    for (const status of [401, 429, 500, 503, 504]) {
      validateResponse({
        method: 'POST',
        path: '/chat/completions',
        status,
        body: { error: 'nope' },
      });
    }
  });

  it('rejects an undocumented status (418) and an undocumented media type', () => {
    assert.throws(
      () =>
        validateResponse({
          method: 'POST',
          path: '/chat/completions',
          status: 418,
          body: { error: 'teapot' },
        }),
      /does not document status 418/,
    );
    assert.throws(
      () =>
        validateResponse({
          method: 'POST',
          path: '/chat/completions',
          status: 200,
          contentType: 'text/event-stream',
          body: 'data: {}',
        }),
      /media type text\/event-stream is not documented/,
    );
  });

  it('rejects undocumented operations', () => {
    assert.throws(
      () => validateResponse({ method: 'GET', path: '/chat/completions', status: 200, body: {} }),
      /not documented/,
    );
    assert.throws(
      () => validateResponse({ method: 'GET', path: '/nope', status: 200, body: {} }),
      /not documented/,
    );
  });

  it('lists documented statuses', () => {
    assert.deepEqual(documentedStatuses('POST', '/chat/completions'), [
      '200',
      '400',
      '401',
      '402',
      '415',
      '429',
      '500',
      '503',
      '504',
    ]);
    assert.deepEqual(documentedStatuses('POST', '/embeddings'), [
      '200',
      '400',
      '401',
      '402',
      '415',
      '429',
      '500',
      '503',
    ]);
    assert.deepEqual(documentedStatuses('GET', '/models'), ['200', '500']);
    assert.deepEqual(documentedStatuses('GET', '/models/traits'), ['200', '401', '500']);
    assert.deepEqual(documentedStatuses('GET', '/models/compatibility_mapping'), [
      '200',
      '401',
      '500',
    ]);
  });
});

describe('spec-validator: chat.completion.chunk', () => {
  const base = {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1739928524,
    model: 'zai-org-glm-5-1',
  };

  it('accepts role, content, reasoning, tool call and final usage chunks', () => {
    validateChatCompletionChunk({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    validateChatCompletionChunk({
      ...base,
      choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null, logprobs: null }],
    });
    validateChatCompletionChunk({
      ...base,
      choices: [
        { index: 0, delta: { reasoning_content: 'hmm', content: null }, finish_reason: null },
      ],
    });
    validateChatCompletionChunk({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index: 0,
                id: 'call_1',
                type: 'function',
                function: { name: 'f', arguments: '{"a"' },
              },
            ],
          },
          finish_reason: null,
        },
      ],
    });
    validateChatCompletionChunk({
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
      usage: null,
    });
    validateChatCompletionChunk({
      ...base,
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      cost: { diem: 0, usd: 0 },
    });
  });

  it('rejects malformed chunks', () => {
    assert.throws(
      () => validateChatCompletionChunk({ ...base, object: 'chat.completion', choices: [] }),
      /object must be equal to one of the allowed values/,
    );
    assert.throws(
      () => validateChatCompletionChunk({ ...base, choices: [{ index: 0, delta: {} }] }),
      /finish_reason/,
    );
    assert.throws(
      () =>
        validateChatCompletionChunk({
          ...base,
          choices: [{ index: 0, delta: {}, finish_reason: 'done' }],
        }),
      SpecValidationError,
    );
    assert.throws(
      () =>
        validateChatCompletionChunk({
          ...base,
          choices: [{ index: 0, delta: { role: 'user' }, finish_reason: null }],
        }),
      SpecValidationError,
    );
    assert.throws(
      () =>
        validateChatCompletionChunk({
          ...base,
          choices: [{ index: 0, delta: { tool_calls: [{ id: 'x' }] }, finish_reason: null }],
        }),
      /index/,
    );
    assert.throws(
      () => validateChatCompletionChunk({ ...base, choices: [], usage: { prompt_tokens: 1 } }),
      /usage/,
    );
    const { created: _created, ...noCreated } = base;
    assert.throws(() => validateChatCompletionChunk({ ...noCreated, choices: [] }), /created/);
  });

  it('derives its finish_reason enum from the spec', () => {
    const schema = JSON.stringify(chatCompletionChunkSchema());
    assert.match(schema, /"enum":\["stop","length","tool_calls",null\]/);
  });
});

describe('spec-validator: models', () => {
  it('accepts a models list', () => {
    validateResponse({
      method: 'GET',
      path: '/models?type=text',
      status: 200,
      body: { object: 'list', type: 'text', data: [textModel] },
    });
    validateSchema('ModelResponse', textModel);
  });

  it('requires the top-level `type` and the full capabilities block', () => {
    assert.throws(
      () =>
        validateResponse({
          method: 'GET',
          path: '/models',
          status: 200,
          body: { object: 'list', data: [] },
        }),
      /'type'/,
    );
    const { supportsXSearch: _x, ...capabilities } = textModel.model_spec.capabilities;
    const model = { ...textModel, model_spec: { ...textModel.model_spec, capabilities } };
    assert.throws(() => validateSchema('ModelResponse', model), /supportsXSearch/);
    const extra = {
      ...textModel,
      model_spec: {
        ...textModel.model_spec,
        capabilities: { ...textModel.model_spec.capabilities, foo: true },
      },
    };
    assert.throws(() => validateSchema('ModelResponse', extra), /additional properties/);
    assert.throws(
      () => validateSchema('ModelResponse', { ...textModel, owned_by: 'rialto' }),
      /owned_by/,
    );
  });

  it('accepts traits and compatibility mapping', () => {
    validateResponse({
      method: 'GET',
      path: '/models/traits',
      status: 200,
      body: { object: 'list', type: 'text', data: { default: 'llama-3.2-3b' } },
    });
    validateResponse({
      method: 'GET',
      path: '/api/v1/models/compatibility_mapping',
      status: 200,
      body: { object: 'list', type: 'text', data: { 'gpt-4o': 'llama-3.2-3b' } },
    });
    assert.throws(
      () =>
        validateResponse({
          method: 'GET',
          path: '/models/traits',
          status: 200,
          body: { object: 'list', type: 'text', data: { default: 1 } },
        }),
      SpecValidationError,
    );
  });

  it('converts OpenAPI exclusiveMinimum/Maximum booleans', () => {
    validateSchema('ModelResponse', { ...textModel, discount_to_user: 0.2 });
    assert.throws(
      () => validateSchema('ModelResponse', { ...textModel, discount_to_user: 0 }),
      /discount_to_user/,
    );
    assert.throws(
      () => validateSchema('ModelResponse', { ...textModel, discount_to_user: 1 }),
      /discount_to_user/,
    );
  });
});

describe('spec-validator: embeddings and errors', () => {
  const embeddings = {
    data: [{ embedding: [0.0023064255, -0.009327292, 0.015797377], index: 0, object: 'embedding' }],
    model: 'text-embedding-bge-m3',
    object: 'list',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  };

  it('accepts an embeddings response and rejects one without usage', () => {
    validateResponse({ method: 'POST', path: '/embeddings', status: 200, body: embeddings });
    const { usage: _usage, ...noUsage } = embeddings;
    assert.throws(
      () => validateResponse({ method: 'POST', path: '/embeddings', status: 200, body: noUsage }),
      /usage/,
    );
  });

  it('accepts a 400 DetailedError for embeddings; 504 is not documented there', () => {
    validateResponse({ method: 'POST', path: '/embeddings', status: 400, body: detailedError });
    assert.throws(
      () =>
        validateResponse({
          method: 'POST',
          path: '/embeddings',
          status: 504,
          body: { error: 'x' },
        }),
      /does not document status 504/,
    );
  });

  it('validates components directly', () => {
    validateSchema('DetailedError', detailedError);
    validateSchema('StandardError', { error: 'x' });
    assert.throws(() => validateSchema('StandardError', { message: 'x' }), /'error'/);
    assert.throws(() => validateSchema('NoSuchSchema', {}), /not in the swagger/);
  });

  it('prefers literal path segments over templates', () => {
    assert.ok(documentedStatuses('GET', '/api_keys/rate_limits').includes('200'));
    assert.ok(documentedStatuses('GET', '/api/v1/api_keys/abc123').includes('200'));
    assert.throws(
      () =>
        validateResponse({ method: 'GET', path: '/api_keys/rate_limits', status: 999, body: {} }),
      /GET \/api_keys\/rate_limits does not/,
    );
    assert.throws(
      () => validateResponse({ method: 'GET', path: '/api_keys/abc123', status: 999, body: {} }),
      /GET \/api_keys\/\{id\} does not/,
    );
  });

  it('resolves the swagger path from the repo root, overridable by VENICE_SWAGGER', () => {
    const saved = process.env['VENICE_SWAGGER'];
    try {
      delete process.env['VENICE_SWAGGER'];
      assert.match(swaggerPath(), /[\\/]spec[\\/]venice-swagger\.yaml$/);
      process.env['VENICE_SWAGGER'] = '/tmp/other.yaml';
      assert.equal(swaggerPath(), '/tmp/other.yaml');
    } finally {
      if (saved === undefined) delete process.env['VENICE_SWAGGER'];
      else process.env['VENICE_SWAGGER'] = saved;
    }
  });
});
