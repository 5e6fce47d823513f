// Spec fuzzing (issue #10): for every operation in swagger.yaml, requests generated from its schemas — valid
// ones, ones broken at one site (wrong type, out of range, unknown key, missing field, bad content type,
// invalid JSON, bad UTF-8, truncated multipart, a missing or weak key) and heavy ones (2 MB strings, JSON
// nested 10,000 deep) — must get documented statuses with Venice error bodies: no 5xx, no hang, no crash.
// Then a raw-socket part for what fetch will not send.
//
// FUZZ_SEED (default 20260821) and FUZZ_RUNS (broken requests per operation, default 30: about a minute on two
// cores) bound the run; FUZZ_PATH replays one counterexample (each failure prints the command that does it);
// `npm run fuzz` runs longer. FUZZ_STATS=1 prints the statuses seen, FUZZ_LOG=error the server's error log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateSchema } from '../support/spec/spec-validator.ts';
import { allowancesUsed, checkAnswer, type Answer } from './answer-check.ts';
import { startFuzzFixture, type FuzzFixture } from './fuzz-fixture.ts';
import { profileOf, type OperationProfile } from './fuzz-profiles.ts';
import type { FuzzRequest } from './fuzz-request.ts';
import { multipartBytes } from './multipart-bytes.ts';
import { rawExchange, rawRequest } from './raw-http.ts';
import { brokenRequests, validRequests } from './request-arbitraries.ts';
import { FuzzFile } from './swagger-arbitraries.ts';
import { listOperations } from './swagger-operations.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20260821);
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const HEAVY_RUNS = Math.max(2, Math.round(RUNS / 8));
const REPLAY_PATH = process.env.FUZZ_PATH;
/** A request unanswered after this is a hang (ESRGAN on two cores is the slowest engine, at a few seconds). */
const REQUEST_TIMEOUT_MS = 30_000;

let fixture: FuzzFixture;
/** Statuses seen per test and operation (printed with FUZZ_STATS=1). */
const statuses = new Map<string, Map<number, number>>();

async function exchange(request: FuzzRequest): Promise<Answer> {
  const url = `${fixture.rialto.baseURL}${request.path()}`;
  try {
    const response = await fetch(url, {
      ...request.init(fixture.keys),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body,
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    throw new Error(
      name === 'TimeoutError'
        ? `no answer within ${REQUEST_TIMEOUT_MS} ms (a hang)`
        : `no answer: the connection failed (${String(error)})`,
      { cause: error },
    );
  }
}

/** Runs the property; on failure the message has fast-check's counterexample and the command that replays it. */
async function fuzz(
  testName: string,
  requests: fc.Arbitrary<FuzzRequest>,
  profile: OperationProfile,
  numRuns: number,
): Promise<void> {
  // After a hang, shrinking would wait out the timeout again and again: the first hanging request is the counterexample.
  let hung = false;
  const property = fc.asyncProperty(requests, async (request) => {
    if (hung) return;
    const answer = await exchange(request).catch((error: unknown) => {
      hung = error instanceof Error && error.message.includes('a hang');
      throw error;
    });
    const seen = `${testName.split(' \\(')[0]} ${request.operation.id}`;
    const counts = statuses.get(seen) ?? new Map<number, number>();
    statuses.set(seen, counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1));
    checkAnswer(request, profile, answer);
  });
  const details = await fc.check(property, {
    seed: SEED,
    numRuns,
    includeErrorInReport: true,
    ...(REPLAY_PATH === undefined ? {} : { path: REPLAY_PATH, endOnFailure: true }),
  });
  if (!details.failed) return;
  const replay = `FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ''} FUZZ_RUNS=${RUNS} node --import tsx --test --test-name-pattern='^${testName}$' test/fuzz/spec-fuzz.test.ts`;
  assert.fail(`${fc.defaultReportMessage(details)}\n\nReplay: ${replay}`);
}

before(async () => {
  fixture = await startFuzzFixture();
});
after(async () => {
  const lines = [...allowancesUsed].sort().map(([reason, count]) => `  ${count}× ${reason}`);
  if (lines.length > 0) console.log(`Statuses allowed beyond the swagger:\n${lines.join('\n')}`);
  if (process.env.FUZZ_STATS === '1') {
    console.log(
      [...statuses]
        .map(
          ([name, counts]) =>
            `${name}: ${[...counts]
              .sort()
              .map(([status, count]) => `${count}× ${status}`)
              .join(', ')}`,
        )
        .join('\n'),
    );
  }
  await fixture?.close();
});

describe('spec fuzzing: every operation of swagger.yaml', () => {
  for (const operation of listOperations()) {
    describe(operation.id, () => {
      const named = (what: string): string =>
        `${what} \\(${operation.id.replace(/[{}/]/g, '.')}\\)`;
      it(`valid requests get documented answers (${operation.id})`, async () => {
        const profile = profileOf(operation, fixture.world);
        await fuzz(
          named('valid requests get documented answers'),
          validRequests(operation, profile),
          profile,
          Math.max(1, Math.round(RUNS * profile.validShare)),
        );
      });
      it(`broken requests get documented errors (${operation.id})`, async () => {
        const profile = profileOf(operation, fixture.world);
        await fuzz(
          named('broken requests get documented errors'),
          brokenRequests(operation, profile, false),
          profile,
          RUNS,
        );
      });
      it(`2 MB values and 10,000-level nesting get documented errors (${operation.id})`, async () => {
        const profile = profileOf(operation, fixture.world);
        await fuzz(
          named('2 MB values and 10,000-level nesting get documented errors'),
          brokenRequests(operation, profile, true),
          profile,
          HEAVY_RUNS,
        );
      });
    });
  }
});

interface RawCase {
  name: string;
  /** The swagger operation whose documented statuses apply. */
  operation: string;
  request: () => Buffer;
  /** The client stops sending before the body is complete (the server may close without an answer). */
  halfClose?: boolean;
  /** A 2xx is as right as a 4xx (e.g. invalid UTF-8 a decoder reads as U+FFFD). */
  mayPass?: boolean;
}

describe('spec fuzzing: what fetch will not send, from a raw socket', () => {
  const json = (key: string | undefined): Record<string, string> => ({
    'content-type': 'application/json',
    ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
  });
  const boundary = 'rawfuzzboundary';
  const form = (fields: Record<string, unknown>): Buffer => multipartBytes(fields, boundary);
  const formHeaders = (length: number): Record<string, string> => ({
    authorization: `Bearer ${fixture.keys.inference}`,
    'content-type': `multipart/form-data; boundary=${boundary}`,
    'content-length': String(length),
  });
  const chat = '{"model":"fuzz-chat","messages":[{"role":"user","content":"hi"}]}';
  const embed = '{"model":"fuzz-embed","input":"hello"}';
  const cases: RawCase[] = [
    {
      name: 'a JSON body shorter than its Content-Length, then the client stops sending',
      operation: 'POST /chat/completions',
      halfClose: true,
      request: () =>
        rawRequest(
          'POST',
          '/api/v1/chat/completions',
          { ...json(fixture.keys.inference), 'content-length': '500' },
          chat.slice(0, 40),
        ),
    },
    ...['/audio/transcriptions', '/image/edit', '/augment/text-parser'].map(
      (path): RawCase => ({
        name: `a multipart body shorter than its Content-Length, then the client stops sending (${path})`,
        operation: `POST ${path}`,
        halfClose: true,
        request: () => {
          const body = form({
            file: new FuzzFile(fixture.world.wav, 'audio.wav', 'audio/wav'),
            image: new FuzzFile(fixture.world.png, 'image.png', 'image/png'),
            prompt: 'a boat',
          });
          return rawRequest(
            'POST',
            `/api/v1${path}`,
            formHeaders(body.length + 100),
            body.subarray(0, Math.floor(body.length / 2)),
          );
        },
      }),
    ),
    {
      name: 'a Content-Length shorter than the JSON body',
      operation: 'POST /embeddings',
      request: () =>
        rawRequest(
          'POST',
          '/api/v1/embeddings',
          { ...json(fixture.keys.inference), 'content-length': '10' },
          embed,
        ),
    },
    {
      name: 'bytes that are not UTF-8 in the path',
      operation: 'GET /characters/{slug}',
      request: () => rawRequest('GET', '/api/v1/characters/\xff\xfe', json(fixture.keys.inference)),
    },
    {
      name: 'a malformed percent-encoding in the path',
      operation: 'GET /characters/{slug}',
      request: () => rawRequest('GET', '/api/v1/characters/%E0%A4%A', json(fixture.keys.inference)),
    },
    {
      name: 'a percent-encoded byte that is not UTF-8 in the query',
      operation: 'GET /models',
      mayPass: true,
      request: () => rawRequest('GET', '/api/v1/models?type=%FF', {}),
    },
    {
      name: 'a dot-dot path segment',
      operation: 'GET /api_keys/{id}',
      request: () => rawRequest('GET', '/api/v1/api_keys/..', json(fixture.keys.admin)),
    },
    {
      name: 'an Authorization header that is not UTF-8',
      operation: 'GET /api_keys/rate_limits',
      request: () =>
        rawRequest('GET', '/api/v1/api_keys/rate_limits', { authorization: 'Bearer \xff\xfe\xfd' }),
    },
    {
      name: 'two Content-Type headers',
      operation: 'POST /embeddings',
      mayPass: true,
      request: () =>
        Buffer.from(
          rawRequest(
            'POST',
            '/api/v1/embeddings',
            { ...json(fixture.keys.inference), 'content-length': String(embed.length) },
            embed,
          )
            .toString('latin1')
            .replace(
              'content-type: application/json',
              'content-type: application/json\r\ncontent-type: text/plain',
            ),
          'latin1',
        ),
    },
    {
      name: 'a malformed Content-Type',
      operation: 'POST /embeddings',
      mayPass: true,
      request: () =>
        rawRequest(
          'POST',
          '/api/v1/embeddings',
          {
            ...json(fixture.keys.inference),
            'content-type': 'application/json;;;=charset',
            'content-length': String(embed.length),
          },
          embed,
        ),
    },
    {
      name: 'a malformed chunked body',
      operation: 'POST /chat/completions',
      request: () =>
        rawRequest(
          'POST',
          '/api/v1/chat/completions',
          { ...json(fixture.keys.inference), 'transfer-encoding': 'chunked' },
          'zz\r\nabc\r\n0\r\n\r\n',
        ),
    },
    {
      name: 'both Content-Length and Transfer-Encoding',
      operation: 'POST /chat/completions',
      request: () =>
        rawRequest(
          'POST',
          '/api/v1/chat/completions',
          {
            ...json(fixture.keys.inference),
            'content-length': String(chat.length),
            'transfer-encoding': 'chunked',
          },
          `${chat.length.toString(16)}\r\n${chat}\r\n0\r\n\r\n`,
        ),
    },
    {
      name: 'a JSON body with bytes that are not UTF-8',
      operation: 'POST /chat/completions',
      mayPass: true,
      request: () => {
        const body = Buffer.concat([
          Buffer.from('{"model":"fuzz-chat","messages":[{"role":"user","content":"'),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
          Buffer.from('"}]}'),
        ]);
        return rawRequest(
          'POST',
          '/api/v1/chat/completions',
          { ...json(fixture.keys.inference), 'content-length': String(body.length) },
          body,
        );
      },
    },
    {
      name: 'a multipart part without Content-Disposition',
      operation: 'POST /augment/text-parser',
      request: () => {
        const body = Buffer.from(
          `--${boundary}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`,
        );
        return rawRequest('POST', '/api/v1/augment/text-parser', formHeaders(body.length), body);
      },
    },
    {
      name: 'multipart part headers that are not UTF-8',
      operation: 'POST /audio/transcriptions',
      request: () => {
        const body = Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="\xff\xfe"; filename="\xc3\x28.wav"\r\n\r\n`,
            'latin1',
          ),
          fixture.world.wav,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        return rawRequest('POST', '/api/v1/audio/transcriptions', formHeaders(body.length), body);
      },
    },
  ];

  for (const rawCase of cases) {
    it(rawCase.name, async () => {
      const answer = await rawExchange(fixture.rialto.origin, rawCase.request(), {
        halfClose: rawCase.halfClose === true,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      if (answer.status === undefined) {
        assert.ok(rawCase.halfClose, 'the server closed the connection without an answer');
        return;
      }
      const seen = `${answer.status}: ${answer.body.toString('utf8').slice(0, 400)}`;
      const operation = listOperations().find((entry) => entry.id === rawCase.operation)!;
      assert.ok(answer.status < 500, `a 5xx for a client's request: ${seen}`);
      if (rawCase.mayPass !== true)
        assert.ok(answer.status >= 400, `a malformed request answered ${seen}`);
      // Beyond the operation's own statuses: 400 INVALID_REQUEST, 404 ROUTE_NOT_FOUND (a path that resolves elsewhere), 415 INVALID_CONTENT_TYPE.
      assert.ok(
        operation.statuses.has(String(answer.status)) || [400, 404, 415].includes(answer.status),
        `${rawCase.operation} does not document ${seen}`,
      );
      if (answer.status >= 400) {
        assert.match(answer.headers['content-type'] ?? '', /^application\/json/, seen);
        validateSchema('StandardError', JSON.parse(answer.body.toString('utf8')));
      }
    });
  }

  it('the server still answers afterwards', async () => {
    const response = await fetch(`${fixture.rialto.baseURL}/models`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    assert.equal(response.status, 200);
  });
});

// Each bug the fuzzer found, pinned with the request that showed it (the fuzzer's draws change with its code).
describe('spec fuzzing: regressions', () => {
  const call = async (
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${fixture.rialto.baseURL}${path}`, {
      ...init,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const inference = (): Record<string, string> => ({
    authorization: `Bearer ${fixture.keys.inference}`,
  });

  for (const path of [
    '/image/edit',
    '/image/multi-edit',
    '/image/upscale',
    '/image/background-remove',
    '/audio/transcriptions',
    '/augment/text-parser',
  ]) {
    it(`a multipart body without its boundary, or cut short, is a 400 on ${path} (was a 500)`, async () => {
      const body = multipartBytes(
        { prompt: 'a boat', image: new FuzzFile(fixture.world.png, 'image.png', 'image/png') },
        'cutboundary',
      );
      for (const [contentType, bytes] of [
        ['multipart/form-data', body],
        ['multipart/form-data; boundary=cutboundary', body.subarray(0, body.length - 20)],
      ] as const) {
        const answer = await call(path, {
          method: 'POST',
          headers: { ...inference(), 'content-type': contentType },
          body: bytes,
        });
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.match(String(answer.body.error), /^Malformed multipart\/form-data body: /);
      }
    });
  }

  it("a 6,000-character path parameter reaches its route: 404 for a character (was Fastify's bare 414)", async () => {
    const answer = await call(`/characters/${'p'.repeat(6000)}`, { headers: inference() });
    assert.equal(answer.status, 404);
    validateSchema('StandardError', answer.body);
  });

  it("a malformed percent-encoding in the path gets the Venice body and headers (was Fastify's own JSON)", async () => {
    const response = await fetch(`${fixture.rialto.baseURL}/characters/%E0%A4%A`, {
      headers: inference(),
    });
    assert.equal(response.status, 400);
    assert.equal(
      ((await response.json()) as { error: string }).error,
      'Invalid request parameters',
    );
    assert.ok(response.headers.get('x-request-id'));
  });

  it('GET /api_keys/generate_web3_key is its own route, not a key id (was 401, or 400 "API key not found")', async () => {
    // The fixture enables wallets.web3Keys: a token with or without a key (off, it is 404: test/e2e/web3-keys.test.ts).
    for (const headers of [{}, { authorization: `Bearer ${fixture.keys.admin}` }]) {
      const answer = await call('/api_keys/generate_web3_key', { headers });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.match(String((answer.body.data as { token?: unknown }).token), /^rw3k\./);
    }
  });

  it('GET /characters takes an offset past 999,999,999 (the swagger sets no maximum; was a 400)', async () => {
    const answer = await call('/characters?offset=10000000000', { headers: inference() });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.data, []);
  });

  it('GET /billing/usage-analytics refuses a 2,000-year range at once (was a request that kept the server busy for minutes)', async () => {
    const answer = await call('/billing/usage-analytics?startDate=2026-01-01&endDate=4203-05-03', {
      headers: { authorization: `Bearer ${fixture.keys.admin}` },
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(
      (answer.body.details as Record<string, { _errors: string[] }>).endDate?._errors,
      ['The maximum range is 366 days'],
    );
  });

  it('POST /x402/top-up drops a malformed body: 402 with the requirements (was the generic 400 with issues)', async () => {
    const answer = await call('/x402/top-up', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{]',
    });
    assert.equal(answer.status, 402, JSON.stringify(answer.body));
    assert.equal(answer.body.x402Version, 2);
  });
});
