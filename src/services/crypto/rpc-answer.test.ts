import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineError } from '../../engines/engine-error.ts';
import { forwardedCalls, relayedAnswer, worstCaseCredits } from './rpc-answer.ts';

const calls = [
  { method: 'eth_chainId', id: 'a' },
  { jsonrpc: '2.0' as const, method: 'trace_transaction', params: ['0x1'], id: 'a' },
  { method: 'eth_blockNumber' },
];
const prices = { credits: [20, 40, 20], errorCredits: 5 };

test('calls go to the node numbered by position, whatever ids the client chose (repeated, or none)', () => {
  assert.deepEqual(forwardedCalls(calls), [
    { jsonrpc: '2.0', method: 'eth_chainId', id: 0 },
    { jsonrpc: '2.0', method: 'trace_transaction', params: ['0x1'], id: 1 },
    { jsonrpc: '2.0', method: 'eth_blockNumber', id: 2 },
  ]);
  assert.equal(worstCaseCredits(prices), 80);
  assert.equal(worstCaseCredits({ credits: [2, 20], errorCredits: 5 }), 25);
});

test("a batch answer in the node's order gets the client's ids back; results at their credits, errors at 5", () => {
  const { answer, credits } = relayedAnswer(
    calls,
    true,
    [
      { jsonrpc: '2.0', id: 2, result: '0x10' },
      {
        jsonrpc: '2.0',
        id: 0,
        error: { code: -32602, message: 'invalid params', stack: 'Error: at node' },
      },
      { jsonrpc: '2.0', id: 1, result: { trace: [] }, extra: 'dropped' },
    ],
    prices,
  );
  assert.deepEqual(answer, [
    { jsonrpc: '2.0', result: '0x10' },
    { jsonrpc: '2.0', id: 'a', error: { code: -32602, message: 'invalid params' } },
    { jsonrpc: '2.0', id: 'a', result: { trace: [] } },
  ]);
  assert.equal(credits, 20 + 5 + 40);
});

test('a call the node left unanswered, or answered twice, is billed once at the error credits', () => {
  const { answer, credits } = relayedAnswer(
    calls,
    true,
    [
      { jsonrpc: '2.0', id: 1, result: '0x1' },
      { jsonrpc: '2.0', id: 1, result: '0x1' },
      { jsonrpc: '2.0', id: null, error: { code: 'bad', message: 7 } },
    ],
    prices,
  );
  assert.equal(credits, 40 + 5 + 5);
  assert.deepEqual((answer as unknown[])[2], {
    jsonrpc: '2.0',
    error: { code: -32603, message: 'Internal error' },
  });
});

test('an answer that is not JSON-RPC for the request is an EngineError (the proxy answers 500)', () => {
  const single = [{ method: 'eth_chainId', id: 1 }];
  assert.throws(
    () => relayedAnswer(single, false, [{ id: 0, result: '0x1' }], prices),
    EngineError,
  );
  assert.throws(() => relayedAnswer(single, true, { id: 0, result: '0x1' }, prices), EngineError);
  assert.throws(() => relayedAnswer(single, true, ['text'], prices), EngineError);
  assert.deepEqual(relayedAnswer(single, false, { id: 0, result: '0x1' }, prices), {
    answer: { jsonrpc: '2.0', id: 1, result: '0x1' },
    credits: 20,
  });
});
