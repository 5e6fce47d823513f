import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../config.ts';

const base = {
  id: 'eip155:84532',
  token: { address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
  payTo: '0x2670B922ef37C7Df47158725C0CC407b5382293F',
  rpcUrl: 'http://127.0.0.1:8545',
};

describe('wallets config', () => {
  it("is off by default with Venice's minimum balance and top-up bounds", () => {
    const { wallets } = parseConfig({});
    assert.equal(wallets.enabled, false);
    assert.equal(wallets.minimumBalanceUsd, 0.1);
    assert.equal(wallets.minimumTopUpUsd, 5);
    assert.equal(wallets.maximumTopUpUsd, 10_000);
    assert.equal(wallets.facilitator.kind, 'local');
  });

  it('reads networks with their token (USDC decimals and EIP-712 domain by default)', () => {
    const { wallets } = parseConfig({ wallets: { enabled: true, networks: [base] } });
    assert.deepEqual(wallets.networks[0]?.token, {
      address: base.token.address,
      decimals: 6,
      name: 'USD Coin',
      version: '2',
    });
  });

  it('refuses: enabled without networks, a non-CAIP-2 id, local settlement on Solana or without an RPC URL, min over max', () => {
    const refused = (wallets: unknown) =>
      assert.throws(() => parseConfig({ wallets }), ConfigError);
    refused({ enabled: true });
    refused({ networks: [{ ...base, id: 'base' }] });
    refused({ networks: [{ ...base, rpcUrl: undefined }] });
    refused({
      networks: [
        {
          id: 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp',
          token: { address: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v' },
          payTo: '8qUL23aSj7mDWdoLMXGHFvnVCT9wd7jXcysiekroADEL',
        },
      ],
    });
    refused({ networks: [base], minimumTopUpUsd: 20, maximumTopUpUsd: 10 });
    refused({ networks: [base], facilitator: { kind: 'local', settlementKey: '0xabc' } });
  });
});
