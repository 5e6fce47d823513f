// OpenTelemetry spans (issue #9.4), exported over OTLP/HTTP to a real receiver on 127.0.0.1: each request is a
// server span whose children are auth, the rate limit, the reservation, the engine and the settlement, in that
// order, with the model and status as attributes and no key, prompt or output anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startRialto } from '../support/start-rialto.ts';
import { listenOnLoopback } from '../support/upstream/listen-on-loopback.ts';
import { startReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { chatModel, sseData } from './upstream-support.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}

/** An OTLP/HTTP JSON receiver: every span it was sent, and the raw bodies. */
async function startReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  bodies: string[];
  stop: () => Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      bodies.push(body);
      const parsed = JSON.parse(body) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resource of parsed.resourceSpans)
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const { origin, stop } = await listenOnLoopback(server);
  return { url: `${origin}/v1/traces`, spans, bodies, stop };
}

function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

const SECRET_PROMPT = '#plain the secret prompt 4bd1a2';

test('a traced request: server span, then auth, rate limit, reservation, engine, settlement as its children', async () => {
  const receiver = await startReceiver();
  const replay = await startReplayServer({ flavor: 'vllm' });
  const rialto = await startRialto({
    systemPrompt: '',
    tracing: { exporter: 'otlp', endpoint: receiver.url },
    rateLimits: { enabled: true },
    models: [chatModel('traced', 'vllm', [replay.url])],
  });
  let output = '';
  try {
    const streamed = await fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${rialto.inferenceKey}`,
      },
      body: JSON.stringify({
        model: 'traced',
        messages: [{ role: 'user', content: SECRET_PROMPT }],
        stream: true,
      }),
    });
    assert.equal(streamed.status, 200);
    output = sseData(await streamed.text())
      .filter((event) => event !== '[DONE]')
      .map(
        (event) =>
          (JSON.parse(event) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta
            .content ?? '',
      )
      .join('');
    assert.ok(output.length > 0);
    const missing = await fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${rialto.inferenceKey}`,
      },
      body: JSON.stringify({
        model: 'no-such-model',
        messages: [{ role: 'user', content: SECRET_PROMPT }],
      }),
    });
    assert.equal(missing.status, 404);
  } finally {
    // Closing the app flushes the batch of spans to the receiver.
    await rialto.close();
    await replay.close();
    await receiver.stop();
  }

  const servers = receiver.spans.filter((span) => span.name === 'POST /api/v1/chat/completions');
  assert.equal(servers.length, 2, 'one server span per request');
  const [ok, failed] = [...servers].sort((a, b) =>
    Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)),
  );
  assert.equal(ok!.kind, 2, 'SPAN_KIND_SERVER');
  assert.equal(ok!.parentSpanId ?? '', '', 'the request span is the root');
  assert.equal(attribute(ok!, 'http.response.status_code'), 200);
  assert.equal(attribute(ok!, 'http.route'), '/api/v1/chat/completions');
  assert.equal(attribute(ok!, 'rialto.model'), 'traced');

  const children = receiver.spans
    .filter((span) => span.parentSpanId === ok!.spanId)
    .sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)));
  assert.deepEqual(
    children.map((span) => span.name),
    ['auth', 'rate_limit.admit', 'billing.reserve', 'engine.chat', 'billing.settle'],
  );
  for (const child of children) assert.equal(child.traceId, ok!.traceId);
  const [auth, limit, reserve, engine, settle] = children;
  assert.equal(attribute(auth!, 'rialto.api_key.type'), 'INFERENCE');
  assert.equal(attribute(limit!, 'rialto.rate_limit.outcome'), 'allowed');
  assert.equal(attribute(reserve!, 'rialto.model'), 'traced');
  assert.equal(attribute(engine!, 'gen_ai.request.model'), 'traced');
  assert.equal(attribute(engine!, 'rialto.engine'), 'openai-compatible');
  assert.equal(attribute(engine!, 'gen_ai.usage.output_tokens'), 8);
  assert.equal(attribute(settle!, 'rialto.usage.status'), 'completed');

  assert.equal(attribute(failed!, 'http.response.status_code'), 404);
  assert.equal(attribute(failed!, 'rialto.error_code'), 'MODEL_NOT_FOUND');
  assert.deepEqual(
    receiver.spans.filter((span) => span.parentSpanId === failed!.spanId).map((span) => span.name),
    ['auth'],
  );

  const exported = receiver.bodies.join('\n');
  assert.ok(exported.includes('"service.name"') && exported.includes('rialto'));
  for (const secret of [
    rialto.inferenceKey,
    rialto.inferenceKey.slice(-12),
    'Bearer',
    'secret prompt',
    output,
  ]) {
    assert.ok(
      !exported.includes(secret),
      `no span carries ${JSON.stringify(secret.slice(0, 12))}…`,
    );
  }
});
