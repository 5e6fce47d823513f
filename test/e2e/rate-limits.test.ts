// Rate limits in the request path (docs/api-reference/rate-limiting.mdx): headers on every admitted
// response (streams too), 429 with Retry-After, tokens settled to actual use, the abuse rule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestRialto } from '../support/start-rialto.ts';
import { chatModel, useReplayRialto } from './upstream-support.ts';
import { FAILED_REQUESTS_MESSAGE } from '../../src/rate-limit/rate-limiter.ts';

const PLAIN = [{ role: 'user', content: '#plain hello' }];

describe('rate limits through HTTP', () => {
  let rialto: TestRialto;

  useReplayRialto(
    (url) => ({
      systemPrompt: '',
      rateLimits: {
        enabled: true,
        overrides: {
          S: { requestsPerMinute: 3, tokensPerMinute: 100_000 },
          M: { requestsPerMinute: 100, tokensPerMinute: 400 },
        },
      },
      models: [
        chatModel('small', 'vllm', [url]),
        { ...chatModel('medium', 'vllm', [url]), rateLimitTier: 'M' },
      ],
    }),
    (servers) => ({ rialto } = servers),
  );

  const send = (body: Record<string, unknown>, key = rialto.inferenceKey): Promise<Response> =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('admits the per-minute requests with their headers (streams too), then answers 429 with Retry-After', async () => {
    const first = await send({ model: 'small', messages: PLAIN, max_tokens: 8 });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-requests'), '3');
    assert.equal(first.headers.get('x-ratelimit-remaining-requests'), '2');
    const reset = Number(first.headers.get('x-ratelimit-reset-requests'));
    const now = Date.now() / 1000;
    assert.ok(
      reset > now - 1 && reset <= now + 61,
      'reset-requests is a Unix timestamp within the minute',
    );
    assert.ok(
      Number(first.headers.get('x-ratelimit-reset-tokens')) <= 60,
      'reset-tokens is seconds',
    );
    assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '100000');
    const stream = await send({ model: 'small', messages: PLAIN, max_tokens: 8, stream: true });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('x-ratelimit-remaining-requests'), '1');
    await stream.text();
    assert.equal((await send({ model: 'small', messages: PLAIN, max_tokens: 8 })).status, 200);
    const refused = await send({ model: 'small', messages: PLAIN, max_tokens: 8 });
    assert.equal(refused.status, 429);
    assert.deepEqual(await refused.json(), { error: 'Rate limit exceeded' });
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
  });

  it('reserves max_tokens against tokens per minute and gives back what was not used', async () => {
    // M allows 400 tokens a minute. The worst case of one request is its prompt estimate + max_tokens;
    // the recording uses 24 tokens, so after settling most of the reservation returns.
    const big = await send({ model: 'medium', messages: PLAIN, max_tokens: 300 });
    assert.equal(big.status, 200);
    const after = Number(big.headers.get('x-ratelimit-remaining-tokens'));
    assert.ok(after < 100, `the reservation held the worst case (${after} left)`);
    const next = await send({ model: 'medium', messages: PLAIN, max_tokens: 300 });
    assert.equal(next.status, 200, 'the unused tokens of the first request came back');
    assert.ok(Number(next.headers.get('x-ratelimit-remaining-tokens')) < 100);
    const tooBig = await send({ model: 'medium', messages: PLAIN, max_tokens: 1000 });
    assert.equal(tooBig.status, 429);
  });

  it('more than 20 failed requests in 30 s block the key for 30 s with the documented message', async () => {
    const { apiKey } = await rialto.keys.create({
      apiKeyType: 'INFERENCE',
      description: 'abusive',
    });
    for (let index = 0; index < 21; index++)
      assert.equal((await send({ model: 'nope', messages: PLAIN }, apiKey)).status, 404);
    const blocked = await send({ model: 'small', messages: PLAIN, max_tokens: 8 }, apiKey);
    assert.equal(blocked.status, 429);
    assert.deepEqual(await blocked.json(), { error: FAILED_REQUESTS_MESSAGE });
  });
});
