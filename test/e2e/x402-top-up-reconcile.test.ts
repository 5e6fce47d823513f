// Issue #20: what TopUpService does with a top-up left pending between settlement and credit, on a real chain
// (ganache, EIP-3009 token) and the store (SQLite, or PostgreSQL with RIALTO_TEST_STORE=postgres), settling with
// x402's own facilitator (createFacilitator local) whose answer a test wrapper loses or never sends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePaymentSignatureHeader } from '@x402/core/http';
import type { PaymentPayload } from '@x402/core/types';
import { type Hex, parseAbi } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { walletsConfig } from '../../src/config/wallets-config.ts';
import { TopUpService } from '../../src/services/wallets/top-up-service.ts';
import {
  createFacilitator,
  type PaymentFacilitator,
} from '../../src/services/wallets/x402-facilitator.ts';
import { X402PaymentError } from '../../src/services/wallets/x402-payment-error.ts';
import {
  balanceOf,
  CHAIN_PRIVATE_KEYS,
  type DeployedToken,
  deployToken,
  type EvmChain,
  mint,
  startEvmChain,
  walletFor,
} from '../support/evm-chain.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { evmPayingClient } from './x402-support.ts';

const payer = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1]!);
const operator = privateKeyToAccount(CHAIN_PRIVATE_KEYS[2]!).address;
const elsewhere = privateKeyToAccount(CHAIN_PRIVATE_KEYS[4]!).address;
const USDC = 1_000_000n;
const WALLET = `eip155:${payer.address.toLowerCase()}`;

/** How the wrapped facilitator's settle ends: answers, loses the answer after settling, fails before settling. */
type Mode = 'answer' | 'lose-answer' | 'fail-before' | 'front-run';

describe('top-ups left pending between settlement and credit', () => {
  let chain: EvmChain;
  let token: DeployedToken;
  let rialto: TestRialto;
  let service: (now?: () => Date) => TopUpService;
  let mode: Mode = 'answer';
  let settles = 0;

  const pay = async (usd: bigint): Promise<{ header: string; payload: PaymentPayload }> => {
    const client = evmPayingClient(payer, token.address);
    const required = service().paymentRequired('http://rialto.test/api/v1/x402/top-up');
    const [accept] = required.body.accepts as PaymentPayload['accepted'][];
    const payload = await client.createPaymentPayload({
      x402Version: 2,
      resource: { url: 'http://rialto.test/api/v1/x402/top-up', description: '', mimeType: '' },
      accepts: [{ ...accept!, amount: String(usd * USDC) }],
    });
    return { header: encodePaymentSignatureHeader(payload), payload };
  };
  const refusal = async (promise: Promise<unknown>): Promise<X402PaymentError> => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof X402PaymentError, String(error));
    return error;
  };

  /** The payer spends the payment's nonce first, on a transfer of 1 unit to another address (its own signature). */
  const frontRun = async (payload: PaymentPayload) => {
    const authorization = (payload.payload as { authorization: Record<string, string> })
      .authorization!;
    const message = {
      from: payer.address,
      to: elsewhere,
      value: 1n,
      validAfter: BigInt(authorization.validAfter!),
      validBefore: BigInt(authorization.validBefore!),
      nonce: authorization.nonce as Hex,
    };
    const signature = await payer.signTypedData({
      domain: token.domain,
      types: {
        TransferWithAuthorization: [
          { name: 'from', type: 'address' },
          { name: 'to', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'validAfter', type: 'uint256' },
          { name: 'validBefore', type: 'uint256' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'TransferWithAuthorization',
      message,
    });
    const hash = await walletFor(chain, 1).writeContract({
      address: token.address,
      abi: parseAbi([
        'function transferWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, bytes signature)',
      ]),
      functionName: 'transferWithAuthorization',
      args: [
        message.from,
        message.to,
        message.value,
        message.validAfter,
        message.validBefore,
        message.nonce,
        signature,
      ],
    });
    await chain.publicClient.waitForTransactionReceipt({ hash });
  };

  before(async () => {
    chain = await startEvmChain({ chainId: 84532 });
    token = await deployToken(chain);
    await mint(chain, token, payer.address, 100n * USDC);
    rialto = await startRialto({});
    const config = walletsConfig.parse({
      enabled: true,
      networks: [
        {
          id: 'eip155:84532',
          token: { address: token.address },
          payTo: operator,
          rpcUrl: chain.rpcUrl,
        },
      ],
      facilitator: { kind: 'local', settlementKeyEnv: 'RECONCILE_TEST_KEY' },
    });
    const local = createFacilitator(config, { RECONCILE_TEST_KEY: CHAIN_PRIVATE_KEYS[3] });
    const wrapped: PaymentFacilitator = {
      verify: (payload, requirements) => local.verify(payload, requirements),
      settle: async (payload, requirements) => {
        settles += 1;
        if (mode === 'fail-before') throw new Error('connect ECONNREFUSED');
        if (mode === 'front-run') {
          await frontRun(payload);
          throw new Error('socket hang up');
        }
        const settled = await local.settle(payload, requirements);
        if (mode === 'lose-answer') throw new Error('socket hang up');
        return settled;
      },
    };
    service = (now) => new TopUpService(config, wrapped, rialto.store.wallets, now);
  });
  after(async () => {
    await rialto?.close();
    await chain?.stop();
  });

  it('an answer lost after settling: the same payment presented again is credited once, from the chain', async () => {
    const paidBefore = await balanceOf(chain, token, operator);
    const { header } = await pay(6n);
    mode = 'lose-answer';
    settles = 0;
    const lost = await refusal(service().topUp(header));
    assert.equal(lost.code, 'X402_SETTLEMENT_FAILED');
    assert.equal(
      await balanceOf(chain, token, operator),
      paidBefore + 6n * USDC,
      'settled on chain',
    );
    assert.equal((await rialto.store.wallets.balance(WALLET)).balance, 0);
    assert.equal((await rialto.store.wallets.pendingTopUps(10)).length, 1);

    mode = 'answer';
    const again = await service().topUp(header);
    assert.equal(again.data.amountCredited, 6);
    assert.equal(again.data.newBalance, 6);
    assert.equal(settles, 1, 'not settled a second time');
    const [entry, ...rest] = await rialto.store.wallets.entries(WALLET, { limit: 10, offset: 0 });
    assert.equal(rest.length, 0);
    assert.equal(entry!.amount, 6e9);
    assert.match(entry!.transaction ?? '', /^0x[0-9a-f]{64}$/);
    assert.equal(again.data.paymentId, `payment_${entry!.transaction}`);
    assert.deepEqual(await rialto.store.wallets.pendingTopUps(10), []);
    const third = await refusal(service().topUp(header));
    assert.equal(third.code, 'X402_PAYMENT_ALREADY_CREDITED');
    assert.equal((await rialto.store.wallets.balance(WALLET)).balance, 6e9);
  });

  it('never settled: the row stays while the authorization is valid, the payment again settles and credits once; expired, it is dropped', async () => {
    const { header } = await pay(5n);
    mode = 'fail-before';
    settles = 0;
    assert.equal((await refusal(service().topUp(header))).code, 'X402_SETTLEMENT_FAILED');
    assert.equal(await service().reconcilePending(), 0);
    assert.equal((await rialto.store.wallets.pendingTopUps(10)).length, 1, 'kept: still valid');
    mode = 'answer';
    const again = await service().topUp(header);
    assert.equal(again.data.amountCredited, 5);
    assert.equal((await rialto.store.wallets.balance(WALLET)).balance, 11e9);
    assert.deepEqual(await rialto.store.wallets.pendingTopUps(10), []);

    const unused = await pay(5n);
    mode = 'fail-before';
    assert.equal((await refusal(service().topUp(unused.header))).code, 'X402_SETTLEMENT_FAILED');
    const validBefore = Number(
      (unused.payload.payload as { authorization: { validBefore: string } }).authorization
        .validBefore,
    );
    const late = () => new Date(validBefore * 1000 + 11 * 60_000);
    assert.equal(await service(late).reconcilePending(), 0);
    assert.deepEqual(await rialto.store.wallets.pendingTopUps(10), [], 'dropped: expired unused');
    assert.equal((await rialto.store.wallets.balance(WALLET)).balance, 11e9);
  });

  it('the nonce spent on another transfer (not to the operator) credits nothing', async () => {
    const { header } = await pay(9n);
    const paidBefore = await balanceOf(chain, token, operator);
    mode = 'front-run';
    assert.equal((await refusal(service().topUp(header))).code, 'X402_SETTLEMENT_FAILED');
    assert.equal((await rialto.store.wallets.pendingTopUps(10)).length, 1);
    assert.equal(await service().reconcilePending(), 0);
    assert.deepEqual(await rialto.store.wallets.pendingTopUps(10), [], 'dropped: not paid');
    mode = 'answer';
    const again = await refusal(service().topUp(header));
    assert.equal(again.code, 'X402_PAYMENT_VERIFICATION_FAILED');
    assert.equal(await balanceOf(chain, token, operator), paidBefore);
    assert.equal((await rialto.store.wallets.balance(WALLET)).balance, 11e9);
  });
});
