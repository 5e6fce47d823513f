// Hostile shapes (issue #15): what an attacker sends to stall or crash a server, drawn by fast-check — archive bombs
// (DOCX, XLSX, PPTX unpacking to up to 150 MB, or holding 20,000 entries) to /augment/text-parser and as chat file
// parts; pages of deeply nested or huge flat HTML to /augment/scrape and chat web scraping; JSON schemas nested
// thousands deep or invalid in response_format and tools; numbers past what money can hold in top-ups and key
// limits; model names and deprecation warnings outside Latin-1 in the config. Each must get a documented answer
// (2xx, or a 4xx with a Venice body; never a 5xx, a hang or a crash), and a watchdog polling /health every 100 ms
// must see every poll answered within FUZZ_HEALTH_MS throughout (1,000 ms with `npm run fuzz`; 5,000 ms in the
// default run, a stall guard on a shared two-core CI machine where a 1 s bound would measure the neighbours).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateSchema } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { startFuzzUpstream, type FuzzUpstream } from './fuzz-upstream.ts';
import { archiveBomb, deepSchema, hostilePages, type HostilePages } from './hostile-payloads.ts';
import { HealthWatchdog } from './health-watchdog.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
/** Drawn cases per shape: a few in CI (each bomb costs the server its cap), more with `npm run fuzz`. */
const SHAPE_RUNS = Math.max(4, Math.min(60, Math.round(RUNS / 5)));
const HEALTH_BOUND_MS = Number(process.env.FUZZ_HEALTH_MS ?? (RUNS > 30 ? 1000 : 5000));
/** A request unanswered after this is a hang: the caps (time limits of the parser pool) are far below it. */
const REQUEST_TIMEOUT_MS = 60_000;

let upstream: FuzzUpstream;
let pages: HostilePages;
let rialto: TestRialto;
let watchdog: HealthWatchdog;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(path: string, init: RequestInit & { key?: string } = {}): Promise<Answer> {
  const headers = {
    authorization: `Bearer ${init.key ?? rialto.inferenceKey}`,
    ...(init.headers as Record<string, string> | undefined),
  };
  const response = await fetch(`${rialto.baseURL}${path}`, {
    ...init,
    headers,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** A documented answer: a 2xx, or a 4xx with the Venice error body. Never a 5xx for what a client sent. */
function assertDocumented(answer: Answer, what: string): void {
  assert.ok(
    answer.status < 500,
    `${what}: a 5xx for a client's request: ${answer.status} ${JSON.stringify(answer.body).slice(0, 400)}`,
  );
  if (answer.status >= 400) validateSchema('StandardError', answer.body);
}

function assertHealthy(): void {
  const report = watchdog.report();
  assert.deepEqual(
    report.late,
    [],
    `/health was late or failed (bound ${HEALTH_BOUND_MS} ms): ${JSON.stringify(report)}`,
  );
  assert.ok(report.polls > 0, 'the watchdog never polled');
}

before(async () => {
  [upstream, pages] = await Promise.all([startFuzzUpstream(), hostilePages()]);
  rialto = await startRialto({
    fetch: { allowHosts: ['127.0.0.1'], timeoutMs: 20_000 },
    models: [
      {
        id: 'hostile-chat',
        engine: {
          kind: 'openai-compatible',
          model: 'fuzz',
          endpoints: [{ url: upstream.openAiUrl }],
          timeoutMs: 10_000,
        },
        capabilities: {
          supportsWebSearch: true,
          supportsResponseSchema: true,
          supportsFunctionCalling: true,
        },
      },
    ],
  });
  watchdog = new HealthWatchdog(`${rialto.origin}/health`, HEALTH_BOUND_MS);
});
after(async () => {
  await watchdog?.stop();
  if (watchdog !== undefined)
    console.log(`/health during the hostile shapes: ${JSON.stringify(watchdog.report().summary)}`);
  await rialto?.close();
  await Promise.all([upstream?.close(), pages?.close()]);
});

describe('hostile shapes: documented answers, and /health answering throughout', () => {
  it('archive bombs to /augment/text-parser and as chat file parts', async () => {
    const shapes = fc.record({
      kind: fc.constantFrom('docx' as const, 'xlsx' as const, 'pptx' as const),
      unpackedMegabytes: fc.constantFrom(1, 30, 150),
      entries: fc.constantFrom(1, 20_000),
      asChatFile: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (shape) => {
        const bomb = await watchdog.aside(() =>
          archiveBomb(shape.kind, shape.unpackedMegabytes, shape.entries),
        );
        const answer = shape.asChatFile
          ? await call(
              '/chat/completions',
              json({
                model: 'hostile-chat',
                messages: [
                  {
                    role: 'user',
                    content: [
                      { type: 'text', text: 'Read it' },
                      {
                        type: 'file',
                        file: {
                          filename: `bomb.${shape.kind}`,
                          file_data: `data:${bomb.contentType};base64,${bomb.bytes.toString('base64')}`,
                        },
                      },
                    ],
                  },
                ],
              }),
            )
          : await call('/augment/text-parser', { method: 'POST', body: bomb.form() });
        assertDocumented(answer, JSON.stringify(shape));
      }),
      { seed: SEED, numRuns: SHAPE_RUNS },
    );
    assertHealthy();
  });

  it('deeply nested and huge flat pages to /augment/scrape and chat web scraping', async () => {
    const shapes = fc.record({
      page: fc.oneof(
        fc.record({ deep: fc.constantFrom(100, 5_000, 20_000, 100_000) }),
        fc.record({ flatKilobytes: fc.constantFrom(10, 4_700) }),
      ),
      viaChat: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (shape) => {
        const url =
          'deep' in shape.page ? pages.deep(shape.page.deep) : pages.flat(shape.page.flatKilobytes);
        const answer = shape.viaChat
          ? await call(
              '/chat/completions',
              json({
                model: 'hostile-chat',
                messages: [{ role: 'user', content: `Summarise ${url}` }],
                venice_parameters: { enable_web_scraping: true },
              }),
            )
          : await call('/augment/scrape', json({ url }));
        assertDocumented(answer, JSON.stringify(shape));
      }),
      { seed: SEED, numRuns: SHAPE_RUNS },
    );
    assertHealthy();
  });

  it('deep, wide and invalid JSON schemas in response_format and tools', async () => {
    // Schemas travel as JSON text, spliced into the body: JSON.stringify recurses and would overflow on the deep ones.
    // `refused`: past the bounds (64 levels, 1,000 entries an object) or not a JSON Schema, so it must be a 400.
    const schema = fc.oneof(
      fc
        .record({
          depth: fc.constantFrom(2, 50, 1_000, 3_000, 20_000),
          width: fc.constantFrom(1, 5_000),
        })
        .map(({ depth, width }) => ({
          text: deepSchema(depth, width),
          refused: depth * 2 > 64 || width > 1_000,
        })),
      fc
        .jsonValue({ maxDepth: 6 })
        .map((value) => ({ text: JSON.stringify(value), refused: undefined })),
      fc
        .constantFrom(
          { type: 'nope' },
          { type: 'object', properties: 5 },
          { type: 'string', minLength: -1 },
          { required: 'name' },
        )
        .map((value) => ({ text: JSON.stringify(value), refused: true })),
    );
    const shapes = fc.record({
      schema,
      where: fc.constantFrom('response_format' as const, 'tools' as const),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async ({ schema: drawn, where }) => {
        const body =
          where === 'response_format'
            ? {
                model: 'hostile-chat',
                messages: [{ role: 'user', content: 'Answer in JSON' }],
                response_format: {
                  type: 'json_schema',
                  json_schema: { name: 'answer', schema: '@schema@' },
                },
              }
            : {
                model: 'hostile-chat',
                messages: [{ role: 'user', content: 'Call it' }],
                tools: [{ type: 'function', function: { name: 'lookup', parameters: '@schema@' } }],
              };
        const text = JSON.stringify(body).replace('"@schema@"', () => drawn.text);
        const answer = await call('/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
        });
        assertDocumented(answer, `${where}: ${drawn.text.slice(0, 200)}`);
        if (drawn.refused === true)
          assert.equal(
            answer.status,
            400,
            `${where}: ${drawn.text.slice(0, 200)} answered ${JSON.stringify(answer.body).slice(0, 300)}`,
          );
      }),
      { seed: SEED, numRuns: SHAPE_RUNS * 2 },
    );
    assertHealthy();
  });

  it('numbers past what money can hold in top-ups and key limits, on PostgreSQL: stored amounts stay exact integers, the account readable', async () => {
    // PostgreSQL is where a top-up past 2^53 nano-units bricked the account (every read a 500); SQLite turned it to a float.
    const bank = await startRialto({ models: [] }, { database: 'postgres' });
    const request = async (path: string, init: RequestInit): Promise<Answer> => {
      const response = await fetch(`${bank.baseURL}${path}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${bank.adminKey}`,
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      const huge = fc.oneof(
        fc.constantFrom(1e9, 9_007_199_254, 9e15, 1e19, 1e308, 0x10, 1e-12, -1, 0),
        fc.double({ noNaN: true }),
      );
      await fc.assert(
        fc.asyncProperty(
          huge,
          fc.constantFrom('USD' as const, 'DIEM' as const),
          async (amount, currency) => {
            assertDocumented(
              await request('/admin/accounts/default/top-up', json({ amount, currency })),
              `top-up ${amount}`,
            );
            assertDocumented(
              await request(
                '/api_keys',
                json({
                  apiKeyType: 'INFERENCE',
                  description: 'huge',
                  consumptionLimit: { usd: amount, diem: amount },
                }),
              ),
              `limit ${amount}`,
            );
            const balance = await request('/billing/balance', { method: 'GET' });
            assert.equal(
              balance.status,
              200,
              `the account is unreadable after ${amount} ${currency}: ${JSON.stringify(balance.body)}`,
            );
            const account = await bank.store.accounts.find('default');
            for (const field of [
              'usdBalance',
              'usdReserved',
              'diemBalance',
              'diemReserved',
            ] as const) {
              assert.ok(
                Number.isSafeInteger(account?.[field]),
                `${field} is ${account?.[field]} after a top-up of ${amount} ${currency}`,
              );
            }
          },
        ),
        { seed: SEED, numRuns: SHAPE_RUNS * 3 },
      );
    } finally {
      await bank.close();
    }
  });
});

describe('hostile shapes: names outside Latin-1 in the config', () => {
  for (const name of [
    'Upstream — chat',
    '模型 «chat»',
    'rocket 🚀',
    'line\nbreak',
    'nul\u0000byte',
  ]) {
    it(`a model named ${JSON.stringify(name)} is refused at load or served with valid headers, JSON and stream`, async () => {
      let named: TestRialto;
      try {
        named = await startRialto({
          models: [
            {
              id: 'named-chat',
              name,
              engine: {
                kind: 'openai-compatible',
                model: 'fuzz',
                endpoints: [{ url: upstream.openAiUrl }],
              },
              deprecation: {
                warning: `Going away — use ${name}`,
                date: '2030-01-01',
                removesAt: '2030-06-01',
              },
            },
          ],
        });
      } catch (error) {
        // Refused at load: the error must say which field of which model.
        assert.match(String(error), /named-chat|name|warning/i, String(error));
        return;
      }
      try {
        for (const stream of [false, true]) {
          const response = await fetch(`${named.baseURL}/chat/completions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${named.inferenceKey}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({
              model: 'named-chat',
              stream,
              messages: [{ role: 'user', content: 'hi' }],
            }),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const text = await response.text();
          assert.equal(response.status, 200, text.slice(0, 400));
          if (stream) assert.match(text, /data: \[DONE\]/);
        }
      } finally {
        await named.close();
      }
    });
  }
});
