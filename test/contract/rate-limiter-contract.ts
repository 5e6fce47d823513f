// The behaviour every RateLimiter implementation must have. docs/api-reference/rate-limiting.mdx.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import {
  FAILED_REQUESTS_MESSAGE,
  type Admission,
  type AdmitRequest,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitHeaders,
  type Reservation,
} from '../../src/rate-limit/rate-limiter.ts';

export type CreateRateLimiter = (options: RateLimiterOptions) => RateLimiter | Promise<RateLimiter>;

/** A fresh key per test, so tests never share windows, even on a shared store. */
function request(overrides: Partial<AdmitRequest> = {}): AdmitRequest {
  return {
    keyId: `key-${randomUUID()}`,
    limitClass: 'S',
    modelId: 'venice-uncensored',
    tokens: 10,
    ...overrides,
  };
}

function admitted(admission: Admission): Reservation {
  assert.equal(admission.admitted, true, `expected admission, got ${JSON.stringify(admission)}`);
  if (!admission.admitted) throw new Error('unreachable');
  return admission.reservation;
}

function header(headers: RateLimitHeaders, name: keyof RateLimitHeaders): number {
  const value = headers[name];
  assert.ok(value !== undefined, `${name} missing`);
  assert.match(value, /^\d+$/, `${name} is a whole number`);
  return Number(value);
}

async function withLimiter(
  create: CreateRateLimiter,
  options: RateLimiterOptions,
  body: (limiter: RateLimiter) => Promise<void>,
): Promise<void> {
  const limiter = await create(options);
  try {
    await body(limiter);
  } finally {
    await limiter.close();
  }
}

export function defineRateLimiterContract(name: string, create: CreateRateLimiter): void {
  describe(`RateLimiter contract: ${name}`, () => {
    it('admits exactly N of N+k concurrent requests when the RPM limit is N', async () => {
      await withLimiter(create, { limits: { S: { requestsPerMinute: 10 } } }, async (limiter) => {
        const base = request();
        const results = await Promise.all(Array.from({ length: 25 }, () => limiter.admit(base)));
        assert.equal(results.filter((result) => result.admitted).length, 10);
        for (const result of results) if (!result.admitted) assert.equal(result.type, 'RPM');
      });
    });

    it('admits exactly as many concurrent reservations as the TPM limit holds', async () => {
      await withLimiter(
        create,
        { limits: { S: { requestsPerMinute: 100, tokensPerMinute: 1000 } } },
        async (limiter) => {
          const base = request({ tokens: 100 });
          const results = await Promise.all(Array.from({ length: 17 }, () => limiter.admit(base)));
          assert.equal(results.filter((result) => result.admitted).length, 10);
          for (const result of results) if (!result.admitted) assert.equal(result.type, 'TPM');
        },
      );
    });

    it('refuses a reservation larger than what remains without consuming a request', async () => {
      await withLimiter(
        create,
        { limits: { S: { requestsPerMinute: 3, tokensPerMinute: 1000 } } },
        async (limiter) => {
          const base = request();
          const first = await limiter.admit({ ...base, tokens: 600 });
          admitted(first);
          const refused = await limiter.admit({ ...base, tokens: 500 });
          assert.equal(refused.admitted, false);
          if (refused.admitted) return;
          assert.equal(refused.type, 'TPM');
          assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60);
          assert.equal(header(refused.headers, 'x-ratelimit-remaining-requests'), 2);
          assert.equal(header(refused.headers, 'x-ratelimit-remaining-tokens'), 400);
          admitted(await limiter.admit({ ...base, tokens: 400 }));
          admitted(await limiter.admit({ ...base, tokens: 0 }));
          const fourth = await limiter.admit({ ...base, tokens: 0 });
          assert.equal(fourth.admitted === false && fourth.type, 'RPM');
        },
      );
    });

    it('settle gives back unused tokens once, and never more than reserved', async () => {
      await withLimiter(
        create,
        { limits: { S: { requestsPerMinute: 100, tokensPerMinute: 1000 } } },
        async (limiter) => {
          const base = request();
          const big = admitted(await limiter.admit({ ...base, tokens: 800 }));
          const over = admitted(await limiter.admit({ ...base, tokens: 100 }));
          await limiter.settle(big, 300);
          const probe = await limiter.admit({ ...base, tokens: 0 });
          assert.equal(header(probe.headers, 'x-ratelimit-remaining-tokens'), 1000 - 300 - 100);
          await limiter.settle(big, 0);
          await limiter.settle(over, 500);
          const again = await limiter.admit({ ...base, tokens: 0 });
          assert.equal(header(again.headers, 'x-ratelimit-remaining-tokens'), 1000 - 300 - 100);
        },
      );
    });

    it('settle after the window reset gives nothing to the new window', async () => {
      await withLimiter(
        create,
        { windowMs: 1500, limits: { S: { tokensPerMinute: 1000 } } },
        async (limiter) => {
          const base = request();
          const old = admitted(await limiter.admit({ ...base, tokens: 900 }));
          await sleep(1600);
          admitted(await limiter.admit({ ...base, tokens: 900 }));
          await limiter.settle(old, 0);
          const probe = await limiter.admit({ ...base, tokens: 0 });
          assert.equal(header(probe.headers, 'x-ratelimit-remaining-tokens'), 100);
        },
      );
    });

    it('sends consistent headers, decided at admission', async () => {
      await withLimiter(
        create,
        { limits: { S: { requestsPerMinute: 5, tokensPerMinute: 1000 } } },
        async (limiter) => {
          const base = request({ tokens: 100 });
          let previous = 5;
          for (let taken = 1; taken <= 5; taken += 1) {
            const { headers } = await limiter.admit(base);
            const nowSeconds = Date.now() / 1000;
            assert.equal(headers['x-ratelimit-type'], 'api_key');
            assert.equal(header(headers, 'x-ratelimit-limit-requests'), 5);
            assert.equal(header(headers, 'x-ratelimit-limit-tokens'), 1000);
            const remaining = header(headers, 'x-ratelimit-remaining-requests');
            assert.equal(remaining, previous - 1);
            previous = remaining;
            assert.equal(header(headers, 'x-ratelimit-remaining-tokens'), 1000 - 100 * taken);
            const resetRequests = header(headers, 'x-ratelimit-reset-requests');
            assert.ok(
              resetRequests > nowSeconds - 1 && resetRequests <= Math.ceil(nowSeconds) + 60,
              'reset-requests is a Unix time within 60 s',
            );
            const resetTokens = header(headers, 'x-ratelimit-reset-tokens');
            assert.ok(resetTokens >= 0 && resetTokens <= 60, 'reset-tokens is seconds');
          }
          const refused = await limiter.admit(base);
          assert.equal(refused.admitted, false);
          assert.equal(header(refused.headers, 'x-ratelimit-remaining-requests'), 0);
        },
      );
    });

    it('omits token headers for classes limited by requests only', async () => {
      await withLimiter(create, {}, async (limiter) => {
        const result = await limiter.admit(
          request({ limitClass: 'image', modelId: 'venice-sd35', tokens: 0 }),
        );
        const reservation = admitted(result);
        assert.equal(header(result.headers, 'x-ratelimit-limit-requests'), 20);
        assert.equal(result.headers['x-ratelimit-limit-tokens'], undefined);
        assert.equal(reservation.tokenWindow, null);
        await limiter.settle(reservation, 0);
      });
    });

    it('blocks a key after more than 20 failures in 30 s, with FAILED_REQUESTS', async () => {
      await withLimiter(create, {}, async (limiter) => {
        const base = request();
        for (let failure = 0; failure < 20; failure += 1) await limiter.recordFailure(base.keyId);
        admitted(await limiter.admit(base));
        await limiter.recordFailure(base.keyId);
        const refused = await limiter.admit(base);
        assert.equal(refused.admitted, false);
        if (refused.admitted) return;
        assert.equal(refused.type, 'FAILED_REQUESTS');
        assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 30);
        assert.equal(
          header(refused.headers, 'x-ratelimit-remaining-requests'),
          74,
          'the refusal consumed nothing',
        );
        const [breach] = await limiter.recentBreaches(base.keyId);
        assert.equal(breach?.rateLimitType, 'FAILED_REQUESTS');
        admitted(await limiter.admit({ ...base, keyId: `key-${randomUUID()}` }));
        assert.equal(
          FAILED_REQUESTS_MESSAGE,
          'Too many failed attempts (> 20) resulting in a non-success status code. Please wait 30s and try again.',
        );
      });
    });

    it('logs refusals newest first, at most 50', async () => {
      await withLimiter(
        create,
        { limits: { image: { requestsPerMinute: 0 } } },
        async (limiter) => {
          const keyId = `key-${randomUUID()}`;
          for (let attempt = 0; attempt < 55; attempt += 1) {
            await limiter.admit({
              keyId,
              limitClass: 'image',
              modelId: `model-${attempt}`,
              tokens: 0,
            });
          }
          const ofKey = await limiter.recentBreaches(keyId);
          assert.equal(ofKey.length, 50);
          assert.deepEqual(
            ofKey.map((breach) => breach.modelId),
            Array.from({ length: 50 }, (_, index) => `model-${54 - index}`),
          );
          const [newest] = ofKey;
          assert.equal(newest?.apiKeyId, keyId);
          assert.equal(newest?.rateLimitTier, 'image');
          assert.equal(newest?.rateLimitType, 'RPM');
          assert.ok(newest !== undefined && !Number.isNaN(Date.parse(newest.timestamp)));
          const all = await limiter.recentBreaches();
          assert.ok(all.length <= 50);
          assert.equal(all[0]?.modelId, 'model-54');
        },
      );
    });
  });
}
