import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelConfigSchema, type ModelConfig } from '../../config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import {
  chatCompletionRequest,
  type ChatMessage,
  type VeniceParameters,
} from '../../schemas/chat.ts';
import { prepareChat, type PreparedChat } from './prepare-chat.ts';

const SYSTEM = 'You are Rialto.';

function model(raw: Record<string, unknown> = {}): ModelConfig {
  return modelConfigSchema.parse({
    id: 'm',
    engine: { kind: 'llama-cpp', path: 'm.gguf' },
    ...raw,
  });
}

function prepare(
  body: Record<string, unknown>,
  config: ModelConfig = model(),
  suffix: VeniceParameters = {},
  systemPrompt = SYSTEM,
): PreparedChat {
  const request = chatCompletionRequest.parse({
    model: 'm',
    messages: [{ role: 'user', content: 'hi' }],
    ...body,
  });
  return prepareChat(request, config, 'engine-name', suffix, systemPrompt);
}

function expectInvalid(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof VeniceError);
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('system prompt', () => {
  it('is prepended when the caller sends none', () => {
    const { engineRequest } = prepare({});
    assert.equal(engineRequest.model, 'engine-name');
    assert.deepEqual(engineRequest.messages, [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'hi' },
    ]);
  });

  it("the caller's system or developer prompt is appended to it", () => {
    const fromSystem = prepare({
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'hi' },
      ],
    }).engineRequest.messages;
    assert.deepEqual(fromSystem, [
      { role: 'system', content: `${SYSTEM}\n\nBe terse.` },
      { role: 'user', content: 'hi' },
    ]);
    const fromParts = prepare({
      messages: [
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'One.' },
            { type: 'text', text: 'Two.' },
          ],
        },
        { role: 'user', content: 'hi' },
      ],
    }).engineRequest.messages;
    assert.deepEqual(fromParts[0], { role: 'system', content: `${SYSTEM}\n\nOne.\nTwo.` });
    assert.equal(fromParts.length, 2);
  });

  it('include_venice_system_prompt: false leaves the messages as sent', () => {
    const messages = [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'hi' },
    ];
    const prepared = prepare({
      messages,
      venice_parameters: { include_venice_system_prompt: false },
    });
    assert.deepEqual(prepared.engineRequest.messages, messages);
    assert.equal(prepared.veniceParameters.include_venice_system_prompt, false);
  });

  it('an empty operator prompt adds nothing', () => {
    assert.deepEqual(prepare({}, model(), {}, '').engineRequest.messages, [
      { role: 'user', content: 'hi' },
    ]);
  });

  it('the feature suffix applies, and the body wins over it', () => {
    assert.equal(
      prepare({}, model(), { include_venice_system_prompt: false }).engineRequest.messages.length,
      1,
    );
    const bodyWins = prepare(
      { venice_parameters: { include_venice_system_prompt: true } },
      model(),
      { include_venice_system_prompt: false },
    );
    assert.equal(bodyWins.engineRequest.messages.length, 2);
    // The suffix asks for web search; the body turns it off. Search itself is the chat service's (web-retrieval.ts).
    assert.equal(
      prepare({ venice_parameters: { enable_web_search: 'off' } }, model(), {
        enable_web_search: 'on',
      }).veniceParameters.enable_web_search,
      'off',
    );
    assert.equal(
      prepare({}, model(), { enable_web_search: 'on' }).veniceParameters.enable_web_search,
      'on',
    );
  });

  it('a web_search tool turns web search on unless enable_web_search is set; it never reaches the engine', () => {
    const tools = [{ type: 'web_search' }, { type: 'function', function: { name: 'f' } }];
    const prepared = prepare({ tools }, model({ capabilities: { supportsFunctionCalling: true } }));
    assert.equal(prepared.veniceParameters.enable_web_search, 'on');
    assert.deepEqual(
      prepared.engineRequest.tools?.map((tool) => tool.function.name),
      ['f'],
    );
    assert.equal(
      prepare(
        { tools, venice_parameters: { enable_web_search: 'auto' } },
        model({ capabilities: { supportsFunctionCalling: true } }),
      ).veniceParameters.enable_web_search,
      'auto',
    );
    assert.equal(
      prepare({ tools: [{ type: 'web_search' }] }, model(), { enable_web_search: 'off' })
        .veniceParameters.enable_web_search,
      'off',
    );
  });

  it('X search, as a parameter or a tool, is a 400', () => {
    expectInvalid(() => prepare({ venice_parameters: { enable_x_search: true } }), /X search/);
    expectInvalid(() => prepare({ tools: [{ type: 'x_search' }] }), /X search/);
  });

  it('echoes the swagger defaults of venice_parameters', () => {
    assert.deepEqual(prepare({}).veniceParameters, {
      enable_e2ee: true,
      enable_web_search: 'off',
      enable_web_citations: false,
      enable_web_scraping: false,
      include_venice_system_prompt: true,
      include_search_results_in_stream: false,
      return_search_results_as_documents: false,
      strip_thinking_response: false,
      disable_thinking: false,
    });
  });
});

describe('token limits', () => {
  const maxOf = (
    body: Record<string, unknown>,
    config: ModelConfig = model(),
  ): number | undefined => prepare(body, config).engineRequest.maxTokens;

  it('max_completion_tokens beats max_tokens', () => {
    assert.equal(maxOf({ max_tokens: 100, max_completion_tokens: 50 }), 50);
    assert.equal(maxOf({ max_tokens: 50, max_completion_tokens: 100 }), 100);
    assert.equal(maxOf({ max_tokens: 70 }), 70);
  });

  it('max_tokens of 0 or less is ignored', () => {
    assert.equal(maxOf({ max_tokens: 0 }), undefined);
    assert.equal(maxOf({ max_tokens: -5 }), undefined);
    assert.equal(maxOf({ max_tokens: -5 }, model({ maxCompletionTokens: 64 })), 64);
  });

  it("the model's cap applies", () => {
    const capped = model({ maxCompletionTokens: 64 });
    assert.equal(maxOf({ max_tokens: 1000 }, capped), 64);
    assert.equal(maxOf({ max_completion_tokens: 10 }, capped), 10);
    assert.equal(maxOf({}, capped), 64);
    assert.equal(maxOf({}), undefined);
  });
});

describe('reasoning effort', () => {
  const reasoner = model({
    capabilities: {
      supportsReasoning: true,
      supportsReasoningEffort: true,
      reasoningEffortOptions: ['low', 'medium', 'high'],
    },
  });

  it('reasoning_effort beats reasoning.effort', () => {
    assert.equal(
      prepare({ reasoning_effort: 'high', reasoning: { effort: 'low' } }, reasoner).engineRequest
        .reasoningEffort,
      'high',
    );
    assert.equal(
      prepare({ reasoning: { effort: 'low' } }, reasoner).engineRequest.reasoningEffort,
      'low',
    );
    assert.equal(prepare({}, reasoner).engineRequest.reasoningEffort, undefined);
  });

  it('is refused on a model without supportsReasoningEffort', () => {
    expectInvalid(() => prepare({ reasoning_effort: 'low' }), /does not support reasoning effort/);
    expectInvalid(
      () => prepare({ reasoning: { effort: 'low' } }),
      /does not support reasoning effort/,
    );
  });

  it('is refused when not among reasoningEffortOptions, with no mapping', () => {
    expectInvalid(() => prepare({ reasoning_effort: 'max' }, reasoner), /'max'.*low, medium, high/);
    expectInvalid(
      () =>
        prepare(
          { reasoning_effort: 'high', reasoning: { effort: 'xhigh' } },
          model({
            capabilities: { supportsReasoningEffort: true, reasoningEffortOptions: ['xhigh'] },
          }),
        ),
      /'high'/,
    );
  });
});

describe('media rules', () => {
  const image = (n: number): Record<string, unknown> => ({
    type: 'image_url',
    image_url: { url: `https://example.com/${n}.png` },
  });
  const text = (value: string): Record<string, unknown> => ({ type: 'text', text: value });
  const urlsOf = (messages: ChatMessage[]): string[][] =>
    messages
      .filter((message) => message.role === 'user')
      .map((message) =>
        Array.isArray(message.content)
          ? message.content.flatMap((part) =>
              part.type === 'image_url'
                ? [part.image_url.url.replace('https://example.com/', '')]
                : part.type === 'text'
                  ? [part.text]
                  : [],
            )
          : [message.content],
      );
  const history = [
    { role: 'user', content: [text('first'), image(1), image(2)] },
    { role: 'assistant', content: 'ok' },
    { role: 'user', content: [text('second'), image(3)] },
    { role: 'assistant', content: 'ok' },
    { role: 'user', content: [text('third'), image(4), image(5)] },
    { role: 'user', content: 'no images' },
  ];

  it('a model without vision refuses images', () => {
    expectInvalid(() => prepare({ messages: history }), /image/);
  });

  it("a single-image vision model keeps only the last image-bearing message's images", () => {
    const vision = model({ capabilities: { supportsVision: true } });
    const { messages } = prepare(
      { messages: history, venice_parameters: { include_venice_system_prompt: false } },
      vision,
    ).engineRequest;
    assert.deepEqual(urlsOf(messages), [
      ['first'],
      ['second'],
      ['third', '4.png', '5.png'],
      ['no images'],
    ]);
  });

  it('a multi-image model keeps the most recent maxImages', () => {
    const multi = model({
      capabilities: { supportsVision: true, supportsMultipleImages: true, maxImages: 3 },
    });
    const { messages } = prepare(
      { messages: history, venice_parameters: { include_venice_system_prompt: false } },
      multi,
    ).engineRequest;
    assert.deepEqual(urlsOf(messages), [
      ['first'],
      ['second', '3.png'],
      ['third', '4.png', '5.png'],
      ['no images'],
    ]);
  });

  it('more than 3 videos are refused; 3 are accepted', () => {
    const video = (n: number): Record<string, unknown> => ({
      type: 'video_url',
      video_url: { url: `https://example.com/${n}.mp4` },
    });
    const videoModel = model({ capabilities: { supportsVideoInput: true } });
    assert.doesNotThrow(() =>
      prepare(
        { messages: [{ role: 'user', content: [video(1), video(2), video(3)] }] },
        videoModel,
      ),
    );
    expectInvalid(
      () =>
        prepare(
          {
            messages: [
              { role: 'user', content: [video(1), video(2)] },
              { role: 'user', content: [video(3), video(4)] },
            ],
          },
          videoModel,
        ),
      /At most 3 videos/,
    );
    expectInvalid(() => prepare({ messages: [{ role: 'user', content: [video(1)] }] }), /video/);
  });
});

describe('character persona (INVENTORY §8.3)', () => {
  const persona = { systemPrompt: 'You are Alan Watts.' };
  const withCharacter = (
    body: Record<string, unknown>,
    suffix: VeniceParameters = {},
  ): PreparedChat => {
    const request = chatCompletionRequest.parse({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      ...body,
    });
    return prepareChat(request, model(), 'engine-name', suffix, SYSTEM, persona);
  };

  it("follows the operator prompt and precedes the caller's, in one system message; the slug is echoed", () => {
    const prepared = withCharacter({
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'hi' },
      ],
      venice_parameters: { character_slug: 'alan' },
    });
    assert.deepEqual(prepared.engineRequest.messages, [
      { role: 'system', content: `${SYSTEM}\n\nYou are Alan Watts.\n\nBe terse.` },
      { role: 'user', content: 'hi' },
    ]);
    assert.equal(prepared.veniceParameters.character_slug, 'alan');
  });

  it('stays when include_venice_system_prompt is false', () => {
    const prepared = withCharacter(
      {},
      { character_slug: 'alan', include_venice_system_prompt: false },
    );
    assert.deepEqual(prepared.engineRequest.messages, [
      { role: 'system', content: 'You are Alan Watts.' },
      { role: 'user', content: 'hi' },
    ]);
    assert.equal(prepared.veniceParameters.character_slug, 'alan');
  });

  it('a slug with no persona looked up is 404 CHARACTER_NOT_FOUND', () => {
    assert.throws(
      () => prepare({ venice_parameters: { character_slug: 'alan' } }),
      (error: unknown) => error instanceof VeniceError && error.code === 'CHARACTER_NOT_FOUND',
    );
  });
});
