// The response schemas of src/schemas (issue #17.7): each accepts the bodies the real server writes, and each
// property name it has is one the swagger's schema of that name (component or operation) has at the same
// place, apart from the extras listed here — so neither the builders nor the names can drift from the contract.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { componentSchema, keysNotInSwagger, operationSchema } from '../support/spec/schema-keys.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  createApiKeyResponse,
  getApiKeyByIdResponse,
  getApiKeysResponse,
  updateApiKeyResponse,
} from '../../src/schemas/api-keys-response.ts';
import {
  characterResponse,
  characterReviewsResponse,
  listCharactersResponse,
} from '../../src/schemas/characters-response.ts';
import { embeddingResponse } from '../../src/schemas/embeddings.ts';
import { providerContentPolicyError } from '../../src/schemas/jobs-errors.ts';
import { retrieveJobStatus } from '../../src/schemas/jobs-response.ts';
import { listModelsResponse, modelResponse } from '../../src/schemas/models-response.ts';
import { responsesStreamEvent } from '../../src/schemas/responses-events.ts';
import { responsesResponse } from '../../src/schemas/responses-response.ts';
import {
  transcriptionResponse,
  verboseTranscriptionResponse,
} from '../../src/schemas/transcriptions.ts';
import { ProviderContentPolicyError } from '../../src/services/jobs/provider-content-policy-error.ts';

const LIBRIVOX_WAV =
  '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0920.wav';

/** Each schema, the swagger's schema it is named after, and the names of OpenAI's or the docs' it may add. */
const CONTRACT: {
  name: string;
  schema: z.ZodType;
  swagger: () => Record<string, unknown>;
  extras: string[];
}[] = [
  {
    name: 'ModelResponse',
    schema: modelResponse,
    swagger: () => componentSchema('ModelResponse'),
    extras: ['model_spec.supports_lyrics_optimizer'],
  },
  {
    name: 'ListModelsResponse',
    schema: listModelsResponse,
    swagger: () => operationSchema('GET', '/models'),
    extras: ['data[].model_spec.supports_lyrics_optimizer'],
  },
  {
    name: 'EmbeddingResponse',
    schema: embeddingResponse,
    swagger: () => operationSchema('POST', '/embeddings'),
    extras: [],
  },
  {
    name: 'ListCharactersResponse',
    schema: listCharactersResponse,
    swagger: () => operationSchema('GET', '/characters'),
    extras: [],
  },
  {
    name: 'CharacterResponse',
    schema: characterResponse,
    swagger: () => operationSchema('GET', '/characters/{slug}'),
    extras: [],
  },
  {
    name: 'CharacterReviewsResponse',
    schema: characterReviewsResponse,
    swagger: () => operationSchema('GET', '/characters/{slug}/reviews'),
    extras: [],
  },
  {
    name: 'TranscriptionResponse',
    schema: transcriptionResponse,
    swagger: () => operationSchema('POST', '/audio/transcriptions'),
    extras: [],
  },
  {
    name: 'CreateApiKeyResponse',
    schema: createApiKeyResponse,
    swagger: () => operationSchema('POST', '/api_keys'),
    extras: [],
  },
  {
    name: 'UpdateApiKeyResponse',
    schema: updateApiKeyResponse,
    swagger: () => operationSchema('PATCH', '/api_keys'),
    extras: [],
  },
  {
    name: 'GetApiKeysResponse',
    schema: getApiKeysResponse,
    swagger: () => operationSchema('GET', '/api_keys'),
    extras: [],
  },
  {
    name: 'GetApiKeyByIdResponse',
    schema: getApiKeyByIdResponse,
    swagger: () => operationSchema('GET', '/api_keys/{id}'),
    extras: [],
  },
  {
    name: 'RetrieveJobStatus',
    schema: retrieveJobStatus,
    swagger: () => operationSchema('POST', '/video/retrieve'),
    extras: [],
  },
  {
    name: 'ProviderContentPolicyError',
    schema: providerContentPolicyError,
    swagger: () => componentSchema('ProviderContentPolicyError'),
    extras: [],
  },
  {
    name: 'ResponsesResponse',
    schema: responsesResponse,
    swagger: () => componentSchema('ResponsesResponse'),
    extras: [
      'cost',
      'incomplete_details',
      'instructions',
      'max_output_tokens',
      'parallel_tool_calls',
      'reasoning',
      'store',
      'temperature',
      'tool_choice',
      'tools',
      'top_p',
    ],
  },
];

describe('response schemas and the swagger', () => {
  for (const { name, schema, swagger, extras } of CONTRACT) {
    it(`${name} names only fields the swagger's ${name} has (or its listed extras)`, () => {
      const ours = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
      assert.deepEqual(keysNotInSwagger(ours, swagger()), extras.sort());
    });
  }
});

describe('response schemas and what the server writes', () => {
  let rialto: TestRialto;

  before(async () => {
    const path = await tinyModelPath();
    rialto = await startRialto({
      models: [
        {
          id: 'tiny',
          engine: { kind: 'llama-cpp', path, threads: 1, sequences: 1 },
          contextLength: 2048,
        },
        {
          id: 'tiny-embed',
          type: 'embedding',
          engine: { kind: 'llama-cpp', path, threads: 1, sequences: 1 },
          contextLength: 256,
        },
        { id: 'asr-sphinx', type: 'asr', engine: { kind: 'pocketsphinx' } },
        {
          id: 'tts-espeak',
          type: 'tts',
          engine: { kind: 'espeak-ng', voices: ['en-us'], concurrency: 1 },
        },
      ],
    });
  });
  after(async () => {
    await rialto.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    key = rialto.inferenceKey,
  ): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined && !(body instanceof FormData))
      headers['content-type'] = 'application/json';
    const payload =
      body === undefined ? {} : { body: body instanceof FormData ? body : JSON.stringify(body) };
    const response = await fetch(`${rialto.baseURL}${path}`, { method, headers, ...payload });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    return response.headers.get('content-type')?.startsWith('text/event-stream') === true
      ? text
      : JSON.parse(text);
  }

  it('ListModelsResponse and ModelResponse accept GET /models of text, embedding, asr and tts models', async () => {
    const list = listModelsResponse.parse(await call('GET', '/models?type=all'));
    assert.deepEqual(list.data.map((model) => model.type).sort(), [
      'asr',
      'embedding',
      'text',
      'tts',
    ]);
  });

  it('EmbeddingResponse accepts POST /embeddings, float and base64', async () => {
    for (const encoding_format of ['float', 'base64']) {
      const body = embeddingResponse.parse(
        await call('POST', '/embeddings', {
          model: 'tiny-embed',
          input: ['one', 'two'],
          encoding_format,
        }),
      );
      assert.equal(body.data.length, 2);
    }
  });

  it('the character schemas accept GET /characters, /characters/{slug} and its reviews', async () => {
    await call(
      'POST',
      '/characters',
      { slug: 'sage', name: 'Sage', systemPrompt: 'You are wise.', modelId: 'tiny', tags: ['Zen'] },
      rialto.adminKey,
    );
    await call(
      'POST',
      '/characters/sage/reviews',
      { username: 'reader', rating: 5, message: 'Wise.' },
      rialto.adminKey,
    );
    assert.equal(
      listCharactersResponse.parse(await call('GET', '/characters')).data[0]?.slug,
      'sage',
    );
    assert.equal(
      characterResponse.parse(await call('GET', '/characters/sage')).data.stats.ratingCount,
      1,
    );
    assert.equal(
      characterReviewsResponse.parse(await call('GET', '/characters/sage/reviews')).data[0]?.rating,
      5,
    );
  });

  it('TranscriptionResponse accepts json with timestamps, VerboseTranscriptionResponse verbose_json', async () => {
    const form = (fields: Record<string, string>): FormData => {
      const body = new FormData();
      body.append('file', new Blob([readFileSync(LIBRIVOX_WAV)]), 'audio.wav');
      for (const [name, value] of Object.entries({ model: 'asr-sphinx', ...fields }))
        body.append(name, value);
      return body;
    };
    assert.ok(
      transcriptionResponse.parse(
        await call('POST', '/audio/transcriptions', form({ timestamps: 'true' })),
      ).timestamps !== undefined,
    );
    assert.equal(
      verboseTranscriptionResponse.parse(
        await call('POST', '/audio/transcriptions', form({ response_format: 'verbose_json' })),
      ).task,
      'transcribe',
    );
  });

  it('ResponsesResponse accepts POST /responses; every stream event parses as a ResponsesStreamEvent', async () => {
    const ask = { model: 'tiny', input: 'Hello there', max_output_tokens: 8, temperature: 0 };
    assert.equal(
      responsesResponse.parse(await call('POST', '/responses', ask)).status,
      'completed',
    );
    const text = await call('POST', '/responses', { ...ask, stream: true });
    assert.equal(typeof text, 'string');
    const events = String(text)
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => {
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice('data: '.length))
          .join('\n');
        return responsesStreamEvent.parse(JSON.parse(data));
      });
    assert.equal(events.at(-1)?.type, 'response.completed');
  });

  it('the api key schemas accept POST, PATCH and GET /api_keys and GET /api_keys/{id}', async () => {
    const limit = { consumptionLimit: { usd: 5 } };
    const { data: created } = createApiKeyResponse.parse(
      await call(
        'POST',
        '/api_keys',
        { apiKeyType: 'INFERENCE', description: 'typed', ...limit },
        rialto.adminKey,
      ),
    );
    updateApiKeyResponse.parse(
      await call(
        'PATCH',
        '/api_keys',
        { id: created.id, description: 'typed again' },
        rialto.adminKey,
      ),
    );
    assert.ok(
      getApiKeysResponse
        .parse(await call('GET', '/api_keys', undefined, rialto.adminKey))
        .data.some((key) => key.id === created.id),
    );
    assert.ok(
      getApiKeyByIdResponse.parse(
        await call('GET', `/api_keys/${created.id}`, undefined, rialto.adminKey),
      ).data.currentPeriodUsage !== undefined,
    );
  });

  it('ProviderContentPolicyError accepts the body the error renderer writes for it', () => {
    assert.equal(
      providerContentPolicyError.parse(new ProviderContentPolicyError(true, 'other-model').toBody())
        .error.credits_refunded,
      true,
    );
  });
});
