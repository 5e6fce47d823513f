import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { wrapFetchWithPayment } from '@x402/fetch';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  balanceOf,
  CHAIN_PRIVATE_KEYS,
  type DeployedToken,
  deployToken,
  type EvmChain,
  mint,
  startEvmChain,
} from '../support/evm-chain.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  type FacilitatorDouble,
  startFacilitatorDouble,
} from '../support/x402-facilitator-double.ts';
import { evmPayingClient } from './x402-support.ts';

// Top-ups through a remote facilitator (wallets.facilitator.kind url): x402's HTTPFacilitatorClient in Rialto
// talking to a real facilitator server on 127.0.0.1 that settles on the ganache chain.

const payer = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1]!);
const operator = privateKeyToAccount(CHAIN_PRIVATE_KEYS[2]!).address;
const USDC = 1_000_000n;

describe('x402 top-up through a facilitator URL', () => {
  let chain: EvmChain;
  let token: DeployedToken;
  const doubles: FacilitatorDouble[] = [];
  const servers: TestRialto[] = [];

  /** `reconcile`: the chain's rpcUrl given (pending rows recorded), a 1 s facilitator timeout, a 1 s reconciliation. */
  const rialtoWith = async (
    facilitator: FacilitatorDouble,
    reconcile = false,
  ): Promise<TestRialto> => {
    const rialto = await startRialto({
      wallets: {
        enabled: true,
        networks: [
          {
            id: 'eip155:84532',
            token: { address: token.address },
            payTo: operator,
            ...(reconcile ? { rpcUrl: chain.rpcUrl } : {}),
          },
        ],
        facilitator: {
          kind: 'url',
          url: facilitator.url,
          tokenEnv: 'RIALTO_TEST_FACILITATOR_TOKEN',
          ...(reconcile ? { timeoutMs: 1000 } : {}),
        },
        ...(reconcile ? { reconcileIntervalSeconds: 1 } : {}),
      },
    });
    servers.push(rialto);
    return rialto;
  };
  const pay = (rialto: TestRialto) => {
    const client = evmPayingClient(payer, token.address);
    return wrapFetchWithPayment(fetch, client)(`${rialto.baseURL}/x402/top-up`, { method: 'POST' });
  };

  before(async () => {
    chain = await startEvmChain({ chainId: 84532 });
    token = await deployToken(chain);
    await mint(chain, token, payer.address, 100n * USDC);
    process.env.RIALTO_TEST_FACILITATOR_TOKEN = 'facilitator-secret';
  });
  after(async () => {
    for (const server of servers) await server.close();
    for (const double of doubles) await double.close();
    await chain?.stop();
  });

  it('verifies and settles through /verify and /settle (with the bearer token) and credits the payer', async () => {
    const facilitator = await startFacilitatorDouble(chain, CHAIN_PRIVATE_KEYS[3]!);
    doubles.push(facilitator);
    const rialto = await rialtoWith(facilitator);
    const response = await pay(rialto);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 200, body });
    assert.deepEqual(
      facilitator.calls.map((call) => [call.path, call.authorization]),
      [
        ['/verify', 'Bearer facilitator-secret'],
        ['/settle', 'Bearer facilitator-secret'],
      ],
    );
    const wallet = `eip155:${payer.address.toLowerCase()}`;
    assert.equal((await rialto.store.wallets.balance(wallet)).balance, 5e9);
    assert.equal(await balanceOf(chain, token, operator), 5n * USDC);
  });

  it('credits nothing when the settlement fails after verification passed', async () => {
    // A facilitator whose key holds no ETH: the payment verifies, its transaction cannot be paid for.
    const broke = await startFacilitatorDouble(chain, generatePrivateKey());
    doubles.push(broke);
    const rialto = await rialtoWith(broke);
    const before = await balanceOf(chain, token, payer.address);
    const response = await fetch(`${rialto.baseURL}/x402/top-up`, { method: 'POST' });
    assert.equal(response.status, 402);
    const paid = await pay(rialto);
    const body = (await paid.json()) as { error: string };
    assert.equal(paid.status, 500, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 500, body });
    assert.equal(body.error, 'X402_SETTLEMENT_FAILED');
    assert.deepEqual(
      broke.calls.map((call) => call.path),
      ['/verify', '/settle'],
    );
    const wallet = `eip155:${payer.address.toLowerCase()}`;
    assert.equal((await rialto.store.wallets.balance(wallet)).balance, 0);
    assert.deepEqual(await rialto.store.wallets.entries(wallet, { limit: 5, offset: 0 }), []);
    assert.equal(await balanceOf(chain, token, payer.address), before);
  });

  it('an answer lost while Rialto runs: the next reconciliation credits it once, without a restart or the payment again', async () => {
    let answer!: () => void;
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    // Settles on chain, then keeps /settle's answer past Rialto's 1 s facilitator timeout.
    const facilitator = await startFacilitatorDouble(chain, CHAIN_PRIVATE_KEYS[3]!, {
      afterSettle: () => held,
    });
    doubles.push(facilitator);
    const rialto = await rialtoWith(facilitator, true);
    const wallet = `eip155:${payer.address.toLowerCase()}`;
    const operatorBefore = await balanceOf(chain, token, operator);
    try {
      const paid = await pay(rialto);
      const body = (await paid.json()) as { error: string };
      assert.equal(paid.status, 500, JSON.stringify(body));
      assert.equal(body.error, 'X402_SETTLEMENT_FAILED');
      // Polled, bounded (60 s): the reconciliation runs every second in the running server.
      let balance = (await rialto.store.wallets.balance(wallet)).balance;
      for (let turn = 0; turn < 300 && balance === 0; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        balance = (await rialto.store.wallets.balance(wallet)).balance;
      }
      assert.equal(balance, 5e9, 'credited from the chain while running');
      assert.equal(await balanceOf(chain, token, operator), operatorBefore + 5n * USDC);
      const entries = await rialto.store.wallets.entries(wallet, { limit: 5, offset: 0 });
      assert.deepEqual(
        entries.map((entry) => [entry.type, entry.amount]),
        [['TOP_UP', 5e9]],
      );
      assert.match(entries[0]!.transaction ?? '', /^0x[0-9a-f]{64}$/);
      assert.deepEqual(await rialto.store.wallets.pendingTopUps(5), []);
      assert.deepEqual(
        facilitator.calls.map((call) => call.path),
        ['/verify', '/settle'],
        'settled once',
      );
    } finally {
      answer();
    }
  });
});
