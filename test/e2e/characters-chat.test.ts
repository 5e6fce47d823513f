// venice_parameters.character_slug and the `:character_slug=` suffix (INVENTORY §8.3) through the official openai
// client, against the vLLM replay upstream: the persona reaches the upstream as the first system message.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { TestRialto } from '../support/start-rialto.ts';
import { validateResponse, validateSchema } from '../support/spec/spec-validator.ts';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import {
  bodyOf,
  chatModel,
  lastRequest,
  UPSTREAM_MODELS,
  useReplayRialto,
} from './upstream-support.ts';

const OPERATOR = 'You are served by Rialto.';
const PERSONA = 'You are Alan Watts. Speak of the present moment.';

type Request = Parameters<OpenAI['chat']['completions']['create']>[0] & {
  stream?: false;
  venice_parameters?: Record<string, unknown>;
};

describe('chat with a character', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;

  useReplayRialto(
    (url) => ({ systemPrompt: OPERATOR, models: [chatModel('chat', 'vllm', [url])] }),
    (servers) => ({ replay, rialto } = servers),
  );

  before(async () => {
    for (const character of [
      { slug: 'alan-watts', name: 'Alan Watts', systemPrompt: PERSONA, modelId: 'chat' },
      {
        slug: 'elsewhere',
        name: 'Elsewhere',
        systemPrompt: 'You live elsewhere.',
        modelId: 'not-served-here',
      },
      {
        slug: 'secret',
        name: 'Secret',
        systemPrompt: 'You are secret.',
        modelId: 'chat',
        public: false,
      },
    ]) {
      const response = await fetch(`${rialto.baseURL}/characters`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rialto.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(character),
      });
      assert.equal(response.status, 200, await response.text());
    }
  });

  /** Sends a chat through the openai client; the completion, its headers and the messages the upstream received. */
  async function ask(request: Partial<Request>): Promise<{
    completion: Record<string, unknown>;
    headers: Headers;
    upstream: Record<string, unknown>;
  }> {
    const before = replay.requests.length;
    const { data, response } = await rialto.client.chat.completions
      .create({
        model: 'chat',
        messages: [{ role: 'user', content: '#plain How can I worry less?' }],
        max_tokens: 16,
        ...request,
      } as Request)
      .withResponse();
    assert.equal(replay.requests.length, before + 1, 'one upstream request');
    const completion = data as unknown as Record<string, unknown>;
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    return { completion, headers: response.headers, upstream: bodyOf(lastRequest(replay)) };
  }

  it("puts the persona after the operator's prompt in the first system message and echoes the slug", async () => {
    const { completion, upstream } = await ask({
      venice_parameters: { character_slug: 'alan-watts' },
    });
    assert.deepEqual(upstream.messages, [
      { role: 'system', content: `${OPERATOR}\n\n${PERSONA}` },
      { role: 'user', content: '#plain How can I worry less?' },
    ]);
    assert.equal(
      (completion.venice_parameters as Record<string, unknown>).character_slug,
      'alan-watts',
    );
  });

  it("keeps the persona when include_venice_system_prompt is false, and appends the caller's system prompt", async () => {
    const alone = await ask({
      venice_parameters: { character_slug: 'alan-watts', include_venice_system_prompt: false },
    });
    assert.deepEqual((alone.upstream.messages as unknown[])[0], {
      role: 'system',
      content: PERSONA,
    });
    const withCaller = await ask({
      messages: [
        { role: 'system', content: 'Answer in one line.' },
        { role: 'user', content: '#plain hi' },
      ],
      venice_parameters: { character_slug: 'alan-watts', include_venice_system_prompt: false },
    });
    assert.deepEqual(withCaller.upstream.messages, [
      { role: 'system', content: `${PERSONA}\n\nAnswer in one line.` },
      { role: 'user', content: '#plain hi' },
    ]);
  });

  it('applies a character named by the model suffix', async () => {
    const { completion, upstream, headers } = await ask({
      model: 'chat:character_slug=alan-watts&include_venice_system_prompt=false',
    });
    assert.deepEqual((upstream.messages as unknown[])[0], { role: 'system', content: PERSONA });
    assert.equal(
      (completion.venice_parameters as Record<string, unknown>).character_slug,
      'alan-watts',
    );
    assert.equal(headers.get('x-venice-model-id'), 'chat');
  });

  it('sends no persona without a character', async () => {
    const { completion, upstream } = await ask({});
    assert.deepEqual((upstream.messages as unknown[])[0], { role: 'system', content: OPERATOR });
    assert.equal(
      (completion.venice_parameters as Record<string, unknown>).character_slug,
      undefined,
    );
  });

  it("serves on the character's modelId when the request's model is not served here", async () => {
    const { headers, upstream } = await ask({
      model: 'venice-uncensored-1-2',
      venice_parameters: { character_slug: 'alan-watts' },
    });
    assert.equal(headers.get('x-venice-model-id'), 'chat');
    assert.equal(upstream.model, UPSTREAM_MODELS.vllm.chat);
    assert.equal(
      (upstream.messages as { content: string }[])[0]?.content,
      `${OPERATOR}\n\n${PERSONA}`,
    );
  });

  it('streams with the persona too', async () => {
    const before = replay.requests.length;
    const stream = await rialto.client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: '#plain hi' }],
      stream: true,
      venice_parameters: { character_slug: 'alan-watts' },
    } as Parameters<OpenAI['chat']['completions']['create']>[0] & { stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.ok(text.length > 0);
    assert.equal(replay.requests.length, before + 1);
    assert.equal(
      (bodyOf(lastRequest(replay)).messages as { content: string }[])[0]?.content,
      `${OPERATOR}\n\n${PERSONA}`,
    );
  });

  it('is 404 CHARACTER_NOT_FOUND for unknown and private slugs, in the body or the suffix, before the upstream is called', async () => {
    const before = replay.requests.length;
    for (const request of [
      { venice_parameters: { character_slug: 'nobody' } },
      { venice_parameters: { character_slug: 'secret' } },
      { model: 'chat:character_slug=nobody' },
      // The body's slug wins over the suffix's.
      { model: 'chat:character_slug=alan-watts', venice_parameters: { character_slug: 'nobody' } },
    ]) {
      const error = await rialto.client.chat.completions
        .create({
          model: 'chat',
          messages: [{ role: 'user', content: '#plain hi' }],
          ...request,
        } as Request)
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      assert.ok(error instanceof OpenAI.NotFoundError, JSON.stringify(request));
      // The client unwraps the body's `error`.
      assert.equal(error.error, 'No character could be found from the provided character_slug');
    }
    const raw = await fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'chat:character_slug=secret',
        messages: [{ role: 'user', content: '#plain hi' }],
      }),
    });
    const body: unknown = await raw.json();
    assert.deepEqual(
      [raw.status, body],
      [404, { error: 'No character could be found from the provided character_slug' }],
    );
    // The swagger lists no 404 for chat; the error table's CHARACTER_NOT_FOUND is a StandardError.
    validateSchema('StandardError', body);
    assert.equal(replay.requests.length, before);
  });

  it("keeps MODEL_NOT_FOUND when neither the request's model nor the character's is served here", async () => {
    const error = await rialto.client.chat.completions
      .create({
        model: 'unknown-model',
        messages: [{ role: 'user', content: '#plain hi' }],
        venice_parameters: { character_slug: 'elsewhere' },
      } as Request)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.error, 'Specified model not found');
  });
});
