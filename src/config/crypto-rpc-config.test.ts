import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../config.ts';

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('the config was accepted');
}

test('cryptoRpc: off by default (no networks), Venice price per credit, 5 credits an error item', () => {
  const { cryptoRpc } = parseConfig({});
  assert.deepEqual(cryptoRpc.networks, {});
  assert.deepEqual(cryptoRpc.pricePerCredit, { usd: 0.000000625, diem: 0.000000625 });
  assert.equal(cryptoRpc.errorCredits, 5);
  const network = parseConfig({
    cryptoRpc: {
      networks: { 'base-sepolia': { nodes: [{ url: 'https://u:p@node.example/v2/key' }] } },
    },
  }).cryptoRpc.networks['base-sepolia'];
  assert.equal(network?.family, 'evm');
  assert.equal(network?.nodes[0]?.weight, 1);
});

test('cryptoRpc: a bad slug, a network without nodes, a node that is no URL and an unknown field are named', () => {
  const problems = problemsOf({
    cryptoRpc: {
      networks: {
        'Base Sepolia': { nodes: [{ url: 'http://127.0.0.1:8545' }] },
        'base-sepolia': { nodes: [] },
        'solana-devnet': { family: 'solana', nodes: [{ url: 'not a url' }] },
      },
      pricePerCredit: { usd: -1, diem: 0 },
      retries: 3,
    },
  });
  const text = problems.join('\n');
  for (const pattern of [
    /Base Sepolia|slug/,
    /base-sepolia/,
    /solana-devnet/,
    /pricePerCredit/,
    /retries/,
  ])
    assert.match(text, pattern);
});
