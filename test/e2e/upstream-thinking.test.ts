// rialto-test: sqlite-only
// disable_thinking on upstream engines: forwarded as the operator configured (engine.disableThinking), and the
// answer never carries reasoning either way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestRialto } from '../support/start-rialto.ts';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { chatModel, useReplayRialto } from './upstream-support.ts';

describe('disable_thinking reaches the upstream the way its engine is configured', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;

  useReplayRialto(
    (url) => ({
      systemPrompt: '',
      models: [
        chatModel('strip', 'vllm', [url]),
        chatModel('kwargs', 'vllm', [url], { disableThinking: 'chat_template_kwargs' }),
        chatModel('effort', 'vllm', [url], { disableThinking: 'reasoning_effort' }),
      ],
    }),
    (servers) => ({ replay, rialto } = servers),
  );

  const ask = async (
    model: string,
    disable: boolean,
  ): Promise<{ sent: Record<string, unknown>; reasoning: string | null | undefined }> => {
    const before = replay.requests.length;
    const completion = await rialto.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: '#reasoning is 17 prime?' }],
      max_tokens: 32,
      ...(disable ? { venice_parameters: { disable_thinking: true } } : {}),
    } as Parameters<typeof rialto.client.chat.completions.create>[0] & { stream?: false });
    const sent = replay.requests
      .slice(before)
      .find((request) => request.path.endsWith('/chat/completions'))!.body as Record<
      string,
      unknown
    >;
    return {
      sent,
      reasoning: (completion.choices[0]!.message as { reasoning_content?: string | null })
        .reasoning_content,
    };
  };

  it('chat_template_kwargs: {enable_thinking: false} is sent only when thinking is disabled', async () => {
    const off = await ask('kwargs', true);
    assert.deepEqual(off.sent.chat_template_kwargs, { enable_thinking: false });
    assert.equal(off.reasoning ?? null, null);
    const on = await ask('kwargs', false);
    assert.equal(on.sent.chat_template_kwargs, undefined);
    assert.ok(typeof on.reasoning === 'string' && on.reasoning.length > 0);
  });

  it('reasoning_effort: "none" is sent when thinking is disabled', async () => {
    assert.equal((await ask('effort', true)).sent.reasoning_effort, 'none');
    assert.equal((await ask('effort', false)).sent.reasoning_effort, undefined);
  });

  it('strip (the default) sends nothing extra and still removes the reasoning', async () => {
    const off = await ask('strip', true);
    assert.equal(off.sent.chat_template_kwargs, undefined);
    assert.equal(off.sent.reasoning_effort, undefined);
    assert.equal(off.reasoning ?? null, null);
  });
});
