import assert from 'node:assert/strict';
import type { x402Client } from '@x402/core/client';
import { after, before, describe, it } from 'node:test';
import {
  decodePaymentRequiredHeader,
  decodePaymentResponseHeader,
  encodePaymentSignatureHeader,
} from '@x402/core/http';
import type { PaymentRequired } from '@x402/core/types';
import { wrapFetchWithPayment } from '@x402/fetch';
import { getAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  balanceOf,
  CHAIN_PRIVATE_KEYS,
  compileFixture,
  type DeployedToken,
  deployToken,
  type EvmChain,
  mint,
  startEvmChain,
  walletFor,
} from '../support/evm-chain.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { evmSiwxHeader } from '../support/x402-siwx.ts';
import { evmPayingClient } from './x402-support.ts';

// The whole top-up on a real chain: ganache with an EIP-3009 USDC, a payer using the x402 fetch client, Rialto
// settling with its own facilitator (wallets.facilitator local) and crediting its ledger (SQLite or PostgreSQL).

const payer = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1]!);
const poor = privateKeyToAccount(CHAIN_PRIVATE_KEYS[4]!);
const operator = privateKeyToAccount(CHAIN_PRIVATE_KEYS[2]!).address;
const USDC = 1_000_000n;

/** What the tests read of the answers (each is checked against the swagger as well). */
interface Answer {
  accepts: unknown[];
  data: { walletAddress: string; amountCredited: number; newBalance: number; paymentId: string };
  error: string;
  message: string;
}
const json = async (response: Response): Promise<Answer> => (await response.json()) as Answer;

let tokenAddress = '';

/** The payer's x402 client: the exact EVM scheme, and the test token allowed (the client allows known USDCs only). */
function payingClient(account = payer): x402Client {
  return evmPayingClient(account, tokenAddress);
}

describe('x402 top-up, balance and transactions (local facilitator on a ganache chain)', () => {
  let chain: EvmChain;
  let token: DeployedToken;
  let rialto: TestRialto;
  let topUpUrl: string;

  before(async () => {
    chain = await startEvmChain({ chainId: 84532 });
    token = await deployToken(chain);
    tokenAddress = token.address;
    await mint(chain, token, payer.address, 100n * USDC);
    process.env.RIALTO_TEST_SETTLEMENT_KEY = CHAIN_PRIVATE_KEYS[3];
    rialto = await startRialto({
      wallets: {
        enabled: true,
        networks: [
          {
            id: 'eip155:84532',
            token: { address: token.address },
            payTo: operator,
            rpcUrl: chain.rpcUrl,
          },
        ],
        facilitator: { kind: 'local', settlementKeyEnv: 'RIALTO_TEST_SETTLEMENT_KEY' },
      },
    });
    topUpUrl = `${rialto.baseURL}/x402/top-up`;
  });
  after(async () => {
    await rialto?.close();
    await chain?.stop();
  });

  const requirements = async (): Promise<PaymentRequired> => {
    const response = await fetch(topUpUrl, { method: 'POST' });
    return decodePaymentRequiredHeader(response.headers.get('payment-required') ?? '');
  };
  const post = (payment: string) =>
    fetch(topUpUrl, { method: 'POST', headers: { 'PAYMENT-SIGNATURE': payment } });

  it('reads a body it ignores only up to the server body limit: 402 below it, 413 past it', async () => {
    const small = await fetch(topUpUrl, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(small.status, 402);
    await small.arrayBuffer();
    // server.bodyLimit's default, 40 MiB, and one more.
    const large = await fetch(topUpUrl, {
      method: 'POST',
      body: Buffer.alloc(40 * 1024 * 1024 + 1),
    });
    assert.equal(large.status, 413);
    await large.arrayBuffer();
  });

  it('answers no payment with 402, the accepts body and the PAYMENT-REQUIRED header', async () => {
    const response = await fetch(topUpUrl, { method: 'POST' });
    assert.equal(response.status, 402);
    const body = await json(response);
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 402, body });
    assert.deepEqual(body.accepts, [
      {
        scheme: 'exact',
        network: 'eip155:84532',
        amount: '5000000',
        asset: token.address,
        payTo: operator,
        maxTimeoutSeconds: 300,
        extra: { name: 'USD Coin', version: '2' },
      },
    ]);
    const required = decodePaymentRequiredHeader(response.headers.get('payment-required') ?? '');
    assert.equal(required.x402Version, 2);
    assert.deepEqual(required.accepts, body.accepts);
    assert.equal(required.resource.url, topUpUrl);
  });

  it('is paid by the x402 fetch client: settled on chain, credited, PAYMENT-RESPONSE', async () => {
    const before = await balanceOf(chain, token, operator);
    const payingFetch = wrapFetchWithPayment(fetch, payingClient());
    const response = await payingFetch(topUpUrl, { method: 'POST' });
    const body = await json(response);
    assert.equal(response.status, 200, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 200, body });
    assert.equal(body.data.walletAddress, payer.address.toLowerCase());
    assert.equal(body.data.amountCredited, 5);
    assert.equal(body.data.newBalance, 5);
    const settlement = decodePaymentResponseHeader(response.headers.get('payment-response') ?? '');
    assert.equal(settlement.success, true);
    assert.equal(settlement.payer?.toLowerCase(), payer.address.toLowerCase());
    assert.equal(body.data.paymentId, `payment_${settlement.transaction}`);
    assert.equal((await balanceOf(chain, token, operator)) - before, 5n * USDC);
  });

  it('credits the same payment once, refuses amounts out of bounds, and credits nothing when the payer cannot pay', async () => {
    const required = await requirements();
    const [accept] = required.accepts;
    assert.ok(accept !== undefined);
    const twelve = { ...required, accepts: [{ ...accept, amount: String(12n * USDC) }] };
    const payment = encodePaymentSignatureHeader(await payingClient().createPaymentPayload(twelve));
    const first = await post(payment);
    assert.equal(first.status, 200);
    assert.equal((await json(first)).data.newBalance, 17);
    const again = await post(payment);
    const refused = await json(again);
    assert.equal(again.status, 400);
    assert.equal(refused.error, 'X402_PAYMENT_ALREADY_CREDITED');
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 400, body: refused });

    for (const amount of [String(USDC), String(10_001n * USDC)]) {
      const outside = { ...required, accepts: [{ ...accept, amount }] };
      const response = await post(
        encodePaymentSignatureHeader(await payingClient().createPaymentPayload(outside)),
      );
      assert.equal(response.status, 400);
      assert.equal((await json(response)).error, 'X402_AMOUNT_OUT_OF_RANGE');
    }

    const unfunded = await post(
      encodePaymentSignatureHeader(await payingClient(poor).createPaymentPayload(required)),
    );
    const failure = await json(unfunded);
    assert.equal(unfunded.status, 400, JSON.stringify(failure));
    assert.equal(failure.error, 'X402_PAYMENT_VERIFICATION_FAILED');
    assert.equal(typeof failure.message, 'string');

    const junk = await post('not-a-payment');
    assert.equal(junk.status, 400);
    assert.deepEqual(await junk.json(), {
      error: 'X402_INVALID_PAYMENT',
      message: 'Invalid payment header',
      details: { reason: 'malformed' },
    });
    const poorBalance = await rialto.store.wallets.balance(`eip155:${poor.address.toLowerCase()}`);
    assert.equal(poorBalance.balance, 0);
    assert.equal(
      (await rialto.store.wallets.balance(`eip155:${payer.address.toLowerCase()}`)).balance,
      17e9,
    );
  });

  it('shows the balance and the ledger to the wallet signed in with SIWx, and to no other', async () => {
    const path = (kind: string, address: string) => `${rialto.baseURL}/x402/${kind}/${address}`;
    const signIn = async (account = payer) => ({
      'SIGN-IN-WITH-X': await evmSiwxHeader(account, { origin: rialto.origin }),
    });
    const balance = await fetch(path('balance', payer.address), { headers: await signIn() });
    const balanceBody = await json(balance);
    assert.equal(balance.status, 200, JSON.stringify(balanceBody));
    validateResponse({ method: 'GET', path: '/x402/balance/0x0', status: 200, body: balanceBody });
    assert.deepEqual(balanceBody.data, {
      walletAddress: payer.address.toLowerCase(),
      balanceUsd: 17,
      canConsume: true,
      minimumTopUpUsd: 5,
      suggestedTopUpUsd: 10,
    });

    const legacy = await fetch(`${path('transactions', payer.address.toLowerCase())}?limit=1`, {
      headers: { 'X-Sign-In-With-X': (await signIn())['SIGN-IN-WITH-X'] },
    });
    const ledger = (await legacy.json()) as {
      data: {
        currentBalance: number;
        pagination: unknown;
        transactions: Record<string, unknown>[];
      };
    };
    assert.equal(legacy.status, 200, JSON.stringify(ledger));
    validateResponse({ method: 'GET', path: '/x402/transactions/0x0', status: 200, body: ledger });
    assert.equal(ledger.data.currentBalance, 17);
    assert.deepEqual(ledger.data.pagination, { limit: 1, offset: 0, hasMore: true });
    assert.deepEqual(
      ledger.data.transactions.map((entry: Record<string, unknown>) => [
        entry.type,
        entry.amount,
        entry.balanceAfter,
      ]),
      [['TOP_UP', 12, 17]],
    );

    const other = await fetch(path('balance', payer.address), { headers: await signIn(poor) });
    assert.equal(other.status, 403);
    assert.deepEqual(await other.json(), {
      error: 'You can only access resources for your own wallet',
    });
    const none = await fetch(path('transactions', payer.address));
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { error: 'Invalid Sign-in-with-x signature' });
    const replayedHeaders = await signIn();
    assert.equal(
      (await fetch(path('balance', payer.address), { headers: replayedHeaders })).status,
      200,
    );
    assert.equal(
      (await fetch(path('balance', payer.address), { headers: replayedHeaders })).status,
      401,
    );
    const badLimit = await fetch(`${path('transactions', payer.address)}?limit=101`, {
      headers: await signIn(),
    });
    assert.equal(badLimit.status, 400);
    const badAddress = await fetch(path('balance', 'not-an-address'), { headers: await signIn() });
    assert.equal(badAddress.status, 400);
  });

  it('signs in a contract wallet (EIP-1271) through the chain, and refuses a signature its owner did not make', async () => {
    const { abi, bytecode } = compileFixture('test-contract-wallet.sol', 'TestContractWallet');
    const deployer = walletFor(chain, 0);
    const hash = await deployer.deployContract({ abi, bytecode, args: [payer.address] });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    assert.ok(receipt.contractAddress);
    const contract = getAddress(receipt.contractAddress);
    const url = `${rialto.baseURL}/x402/balance/${contract}`;
    const owned = await fetch(url, {
      headers: {
        'SIGN-IN-WITH-X': await evmSiwxHeader(payer, { origin: rialto.origin, address: contract }),
      },
    });
    const body = await json(owned);
    assert.equal(owned.status, 200, JSON.stringify(body));
    assert.equal(body.data.walletAddress, contract.toLowerCase());
    const stranger = await fetch(url, {
      headers: {
        'SIGN-IN-WITH-X': await evmSiwxHeader(poor, { origin: rialto.origin, address: contract }),
      },
    });
    assert.equal(stranger.status, 401);
  });
});
