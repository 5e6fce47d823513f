import assert from 'node:assert/strict';
import { test } from 'node:test';
import { methodTier } from './rpc-methods.ts';

// docs/api-reference/endpoint/crypto/rpc.mdx, "Supported methods and pricing tiers" and "Not supported".
test("rpc.mdx's tiers: standard 1x, advanced 2x, large 4x, per family", () => {
  for (const method of [
    'eth_call',
    'eth_getBalance',
    'eth_sendRawTransaction',
    'eth_sendUserOperation',
    'zks_getL1BatchNumber',
    'linea_estimateGas',
    'bor_getAuthor',
    'net_version',
    'web3_clientVersion',
  ])
    assert.equal(methodTier('evm', method), 1, method);
  for (const method of [
    'trace_block',
    'trace_call',
    'debug_traceTransaction',
    'txpool_status',
    'arbtrace_block',
  ])
    assert.equal(methodTier('evm', method), 2, method);
  for (const method of [
    'trace_replayTransaction',
    'trace_replayBlockTransactions',
    'txpool_content',
    'arbtrace_replayTransaction',
  ])
    assert.equal(methodTier('evm', method), 4, method);
  assert.equal(methodTier('solana', 'getBalance'), 1);
  assert.equal(methodTier('solana', 'getLargestAccounts'), 4);
  assert.equal(methodTier('solana', 'getSupply'), 4);
  assert.equal(methodTier('starknet', 'starknet_blockNumber'), 1);
});

test('WebSocket-only, filter, key-holding, unmapped and cross-family methods are not relayed', () => {
  for (const method of [
    'eth_subscribe',
    'eth_unsubscribe',
    'eth_newFilter',
    'eth_getFilterChanges',
    'eth_getFilterLogs',
    'eth_uninstallFilter',
    'eth_newBlockFilter',
    'eth_newPendingTransactionFilter',
    'eth_sign',
    'eth_accounts',
    'eth_mining',
    'eth_hashrate',
    'eth_getWork',
    'eth_submitWork',
    'personal_sign',
    'zks_',
    'getBalance',
    'starknet_call',
    'toString',
    '__proto__',
  ])
    assert.equal(methodTier('evm', method), undefined, method);
  for (const method of ['accountSubscribe', 'logsSubscribe', 'signatureUnsubscribe', 'eth_call'])
    assert.equal(methodTier('solana', method), undefined, method);
  assert.equal(methodTier('starknet', 'eth_call'), undefined);
});
