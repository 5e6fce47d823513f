// GET /metrics (issue #9.3): the counts match the requests this test made, by route and status, tokens,
// time to first token, rate-limit decisions and errors by Venice code; engine gauges come from the engines.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { chatModel, sseData } from './upstream-support.ts';
import { sample } from '../support/metric-sample.ts';

const CHAT = '/api/v1/chat/completions';
const PLAIN = [{ role: 'user', content: '#plain hello' }];

describe('GET /metrics', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;

  before(async () => {
    replay = await startReplayServer({ flavor: 'vllm' });
    rialto = await startRialto({
      systemPrompt: '',
      rateLimits: {
        enabled: true,
        overrides: { S: { requestsPerMinute: 5, tokensPerMinute: 1_000_000 } },
      },
      models: [chatModel('metered', 'vllm', [replay.url], { maxConnections: 6 })],
    });
  });
  after(async () => {
    await rialto.close();
    await replay.close();
  });

  const send = (
    body: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${rialto.inferenceKey}` },
  ): Promise<Response> =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('counts requests by route and status, tokens, first tokens, limiter decisions and errors by code', async () => {
    let promptTokens = 0;
    let completionTokens = 0;
    for (let index = 0; index < 3; index++) {
      const response = await send({ model: 'metered', messages: PLAIN });
      assert.equal(response.status, 200);
      const { usage } = (await response.json()) as {
        usage: { prompt_tokens: number; completion_tokens: number };
      };
      promptTokens += usage.prompt_tokens;
      completionTokens += usage.completion_tokens;
    }
    for (let index = 0; index < 2; index++) {
      const response = await send({
        model: 'metered',
        messages: PLAIN,
        stream: true,
        stream_options: { include_usage: true },
      });
      assert.equal(response.status, 200);
      const events = sseData(await response.text());
      assert.equal(events.at(-1), '[DONE]');
      const { usage } = JSON.parse(events.at(-2)!) as {
        usage: { prompt_tokens: number; completion_tokens: number };
      };
      promptTokens += usage.prompt_tokens;
      completionTokens += usage.completion_tokens;
    }
    assert.equal((await send({ model: 'metered', messages: 'not a list' })).status, 400);
    assert.equal((await send({ model: 'metered', messages: PLAIN }, {})).status, 401);
    // The sixth admission of this key and model within the minute: refused by requests per minute.
    assert.equal((await send({ model: 'metered', messages: PLAIN })).status, 429);
    assert.equal((await fetch(`${rialto.origin}/api/v1/no-such-endpoint`)).status, 404);

    const scraped = await fetch(`${rialto.origin}/metrics`);
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();

    const requests = (status: string): number | undefined =>
      sample(text, 'rialto_http_requests_total', { route: CHAT, method: 'POST', status });
    assert.equal(requests('200'), 5);
    assert.equal(requests('400'), 1);
    assert.equal(requests('401'), 1);
    assert.equal(requests('429'), 1);
    assert.equal(
      sample(text, 'rialto_http_requests_total', {
        route: 'unmatched',
        method: 'GET',
        status: '404',
      }),
      1,
    );
    assert.equal(
      sample(text, 'rialto_http_request_duration_seconds_count', { route: CHAT, method: 'POST' }),
      8,
    );
    assert.equal(
      sample(text, 'rialto_http_request_duration_seconds_bucket', {
        route: CHAT,
        method: 'POST',
        le: '+Inf',
      }),
      8,
    );

    assert.equal(sample(text, 'rialto_prompt_tokens_total', { model: 'metered' }), promptTokens);
    assert.equal(
      sample(text, 'rialto_completion_tokens_total', { model: 'metered' }),
      completionTokens,
    );
    assert.ok(promptTokens > 0 && completionTokens > 0);
    assert.equal(
      sample(text, 'rialto_time_to_first_token_seconds_count', { model: 'metered' }),
      2,
      'one first token per stream',
    );

    assert.equal(
      sample(text, 'rialto_rate_limit_decisions_total', {
        outcome: 'allowed',
        limit: 'none',
        class: 'S',
      }),
      5,
    );
    assert.equal(
      sample(text, 'rialto_rate_limit_decisions_total', {
        outcome: 'refused',
        limit: 'RPM',
        class: 'S',
      }),
      1,
    );

    assert.equal(sample(text, 'rialto_errors_total', { code: 'INVALID_REQUEST' }), 1);
    assert.equal(sample(text, 'rialto_errors_total', { code: 'AUTHENTICATION_FAILED' }), 1);
    assert.equal(sample(text, 'rialto_errors_total', { code: 'RATE_LIMIT_EXCEEDED' }), 1);
    assert.equal(sample(text, 'rialto_errors_total', { code: 'ROUTE_NOT_FOUND' }), 1);

    // Gauges, read from the engine and the meter at the scrape: nothing runs now.
    assert.equal(sample(text, 'rialto_engine_capacity', { model: 'metered' }), 6);
    assert.equal(sample(text, 'rialto_engine_active', { model: 'metered' }), 0);
    assert.equal(sample(text, 'rialto_engine_queued', { model: 'metered' }), 0);
    assert.equal(sample(text, 'rialto_reservations_open'), 0);
    assert.ok(
      sample(text, 'process_cpu_user_seconds_total') !== undefined,
      'process metrics are there too',
    );
  });

  it('counts a stream error event by its code', async () => {
    const response = await send(
      {
        model: 'metered',
        messages: [{ role: 'user', content: '#midstream-error hi' }],
        stream: true,
      },
      { authorization: `Bearer ${rialto.adminKey}` },
    );
    assert.equal(response.status, 200);
    const events = sseData(await response.text());
    const last = JSON.parse(events.at(-1)!) as { error: { code: string } };
    const text = await (await fetch(`${rialto.origin}/metrics`)).text();
    assert.equal(sample(text, 'rialto_errors_total', { code: last.error.code }), 1);
  });

  it('counts a stream the client left as 499, and the engine load while it ran', async () => {
    replay.setBehavior({ chunkDelayMs: 100 });
    try {
      const client = new AbortController();
      const response = await fetch(`${rialto.baseURL}/chat/completions`, {
        method: 'POST',
        signal: client.signal,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${rialto.adminKey}` },
        body: JSON.stringify({ model: 'metered', messages: PLAIN, stream: true }),
      });
      const reader = response.body!.getReader();
      await reader.read();
      const during = await (await fetch(`${rialto.origin}/metrics`)).text();
      assert.equal(sample(during, 'rialto_engine_active', { model: 'metered' }), 1);
      assert.equal(sample(during, 'rialto_reservations_open'), 1);
      client.abort();
      let text = '';
      for (let turn = 0; turn < 100; turn++) {
        text = await (await fetch(`${rialto.origin}/metrics`)).text();
        if (
          sample(text, 'rialto_http_requests_total', {
            route: CHAT,
            method: 'POST',
            status: '499',
          }) !== undefined
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(
        sample(text, 'rialto_http_requests_total', { route: CHAT, method: 'POST', status: '499' }),
        1,
      );
      assert.equal(sample(text, 'rialto_reservations_open'), 0);
    } finally {
      replay.resetBehavior();
    }
  });
});

describe('GET /metrics with metrics.requireKey', () => {
  let rialto: TestRialto;
  before(async () => {
    rialto = await startRialto({ metrics: { requireKey: true } });
  });
  after(async () => {
    await rialto.close();
  });

  it('answers an ADMIN key only', async () => {
    assert.equal((await fetch(`${rialto.origin}/metrics`)).status, 401);
    assert.equal(
      (
        await fetch(`${rialto.origin}/metrics`, {
          headers: { authorization: `Bearer ${rialto.inferenceKey}` },
        })
      ).status,
      403,
    );
    const allowed = await fetch(`${rialto.origin}/metrics`, {
      headers: { authorization: `Bearer ${rialto.adminKey}` },
    });
    assert.equal(allowed.status, 200);
    assert.match(await allowed.text(), /# TYPE rialto_http_requests_total counter/);
  });
});
