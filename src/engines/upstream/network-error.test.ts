import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors, request } from 'undici';
import { EngineError } from '../engine-error.ts';
import { networkError } from './network-error.ts';

/** What undici throws for a request made with `signal` to a port nothing listens on, or after `signal` aborted. */
async function failureOf(signal: AbortSignal): Promise<unknown> {
  try {
    await request('http://127.0.0.1:9/', { signal });
  } catch (error) {
    return error;
  }
  assert.fail('the request was answered');
}

describe('networkError', () => {
  it('calls a call whose deadline (AbortSignal.timeout) passed a timeout, not the client leaving', async () => {
    const deadline = AbortSignal.timeout(1);
    await new Promise((resolve) => deadline.addEventListener('abort', resolve));
    const failure = networkError(await failureOf(deadline), 'gpu-1', { signal: deadline });
    assert.ok(failure instanceof EngineError);
    assert.equal(failure.failure, 'timeout');
    assert.equal(failure.retryable, false);
    assert.match(failure.message, /upstream gpu-1 timed out/);
  });

  it('calls a call its client aborted the client leaving, never retried', async () => {
    const client = new AbortController();
    client.abort();
    const failure = networkError(await failureOf(client.signal), 'gpu-1', {
      signal: client.signal,
    });
    assert.equal(failure.failure, 'failed');
    assert.equal(failure.message, 'request aborted by the client');
    assert.equal(failure.retryable, false);
  });

  it("calls undici's own waits that ran out timeouts, and an unreachable upstream offline (retryable)", async () => {
    const live = new AbortController().signal;
    const headers = networkError(new errors.HeadersTimeoutError(), 'gpu-1', { signal: live });
    assert.equal(headers.failure, 'timeout');
    assert.match(headers.message, /UND_ERR_HEADERS_TIMEOUT/);
    const refused = networkError(await failureOf(live), 'gpu-1', { signal: live });
    assert.equal(refused.failure, 'offline');
    assert.equal(refused.retryable, true);
    assert.match(refused.message, /upstream gpu-1 unreachable: .*ECONNREFUSED/);
  });
});
