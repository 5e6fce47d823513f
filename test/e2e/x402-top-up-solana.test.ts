import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createKeyPairSignerFromPrivateKeyBytes, type KeyPairSigner } from '@solana/kit';
import { x402Client } from '@x402/core/client';
import {
  decodePaymentRequiredHeader,
  decodePaymentResponseHeader,
  encodePaymentSignatureHeader,
} from '@x402/core/http';
import type { Network, PaymentRequired } from '@x402/core/types';
import { wrapFetchWithPayment } from '@x402/fetch';
import { ExactSvmScheme } from '@x402/svm/exact/client';
import { type SolanaRpcDouble, startSolanaRpcDouble } from '../support/solana-rpc-double.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  type FacilitatorDouble,
  startSolanaFacilitatorDouble,
} from '../support/x402-facilitator-double.ts';
import { solanaKeypair, solanaSiwxHeader } from '../support/x402-siwx.ts';
import { fetch as undiciFetch } from 'undici';

// A Solana wallet tops up through a facilitator (wallets.facilitator url): the payer builds and signs its SPL
// TransferChecked with @x402/svm's exact client scheme, Rialto hands it to a facilitator (x402's own, exact SVM
// scheme) which verifies it (ed25519 signatures, amount, recipient, simulation) and settles it (co-signs as fee
// payer, sends, confirms) on a Solana JSON-RPC node double on 127.0.0.1 that executes the transfer. The ledger is
// SQLite or PostgreSQL (money: both passes).

const DEVNET: Network = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1';
const USDC = 1_000_000n;

interface Answer {
  accepts: { extra: Record<string, unknown> }[];
  data: Record<string, unknown>;
  error: string;
}
const json = async (response: Response): Promise<Answer> => (await response.json()) as Answer;

/** A Solana wallet: one ed25519 seed, as @solana/kit's transaction signer and as the SIWx test signer. */
async function solanaWallet() {
  const seed = randomBytes(32);
  return {
    signer: await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(seed)),
    siwx: solanaKeypair(seed),
  };
}

/**
 * Rialto's wallets: devnet through the facilitator, paid to `operator`. `reconcile`: the node's rpcUrl given (top-ups
 * recorded pending and reconciled every second) and a 1 s facilitator timeout.
 */
function solanaWallets(
  rpc: SolanaRpcDouble,
  facilitator: FacilitatorDouble,
  feePayer: KeyPairSigner,
  operator: KeyPairSigner,
  options: { reconcile?: boolean } = {},
) {
  return {
    enabled: true,
    networks: [
      {
        id: DEVNET,
        token: { address: rpc.mint },
        payTo: operator.address,
        feePayer: feePayer.address,
        ...(options.reconcile ? { rpcUrl: rpc.url } : {}),
      },
    ],
    facilitator: {
      kind: 'url',
      url: facilitator.url,
      ...(options.reconcile ? { timeoutMs: 1000 } : {}),
    },
    ...(options.reconcile ? { reconcileIntervalSeconds: 1 } : {}),
  };
}

/** A payer's x402 client: the exact SVM scheme through the node double, and top-ups above $1 allowed. */
function solanaPayingClient(rpc: SolanaRpcDouble, signer: KeyPairSigner): x402Client {
  const client = new x402Client();
  client.register(DEVNET, new ExactSvmScheme(signer, { rpcUrl: rpc.url }));
  client.setSpendControls({
    maxAmountPerPayment: false,
    allowedAssets: [{ network: DEVNET, asset: rpc.mint }],
  });
  return client;
}

describe('x402 top-up from a Solana wallet through a facilitator', () => {
  let rpc: SolanaRpcDouble;
  let facilitator: FacilitatorDouble;
  let rialto: TestRialto;
  let payer: Awaited<ReturnType<typeof solanaWallet>>;
  let poor: Awaited<ReturnType<typeof solanaWallet>>;
  let feePayer: KeyPairSigner;
  let operator: KeyPairSigner;
  let topUpUrl: string;

  const payingClient = (wallet = payer) => solanaPayingClient(rpc, wallet.signer);
  const requirements = async (): Promise<PaymentRequired> => {
    const response = await fetch(topUpUrl, { method: 'POST' });
    return decodePaymentRequiredHeader(response.headers.get('payment-required') ?? '');
  };
  const post = (payment: string) =>
    fetch(topUpUrl, { method: 'POST', headers: { 'PAYMENT-SIGNATURE': payment } });

  const nodeFetch = globalThis.fetch;
  before(async () => {
    // @solana/kit's HTTP transport sets content-length itself; Node 20's built-in fetch hands that header to the
    // global dispatcher, which Rialto's undici 7 (loaded in this process) installs and refuses it from Node's own
    // undici ('invalid content-length header'). The payer's and the facilitator's RPC calls go through undici 7's
    // fetch instead, as they would in a process of their own.
    globalThis.fetch = undiciFetch as unknown as typeof fetch;
    rpc = await startSolanaRpcDouble();
    payer = await solanaWallet();
    poor = await solanaWallet();
    feePayer = (await solanaWallet()).signer;
    operator = (await solanaWallet()).signer;
    await rpc.fund(payer.signer.address, 20n * USDC);
    await rpc.fund(poor.signer.address, 1n * USDC);
    await rpc.fund(operator.address, 0n);
    facilitator = await startSolanaFacilitatorDouble(rpc.url, feePayer, DEVNET);
    rialto = await startRialto({ wallets: solanaWallets(rpc, facilitator, feePayer, operator) });
    topUpUrl = `${rialto.baseURL}/x402/top-up`;
  });
  after(async () => {
    globalThis.fetch = nodeFetch;
    await rialto?.close();
    await facilitator?.close();
    await rpc?.close();
  });

  it('asks for the SPL transfer with the fee payer, and is paid by the x402 fetch client: settled, credited $5', async () => {
    const asked = await fetch(topUpUrl, { method: 'POST' });
    const required = await json(asked);
    assert.equal(asked.status, 402);
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 402, body: required });
    assert.deepEqual(required.accepts, [
      {
        scheme: 'exact',
        network: DEVNET,
        amount: '5000000',
        asset: rpc.mint,
        payTo: operator.address,
        maxTimeoutSeconds: 300,
        extra: { name: 'USD Coin', version: '2', feePayer: feePayer.address },
      },
    ]);

    const response = await wrapFetchWithPayment(nodeFetch, payingClient())(topUpUrl, {
      method: 'POST',
    });
    const body = await json(response);
    assert.equal(response.status, 200, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 200, body });
    const settlement = decodePaymentResponseHeader(response.headers.get('payment-response') ?? '');
    assert.equal(settlement.success, true);
    assert.equal(settlement.network, DEVNET);
    assert.equal(settlement.payer, payer.signer.address);
    // The transaction is the signature of the transfer that landed on the node.
    assert.deepEqual(rpc.landed, [{ signature: settlement.transaction, err: null }]);
    assert.deepEqual(body.data, {
      walletAddress: payer.signer.address,
      amountCredited: 5,
      newBalance: 5,
      paymentId: `payment_${settlement.transaction}`,
    });
    assert.equal(await rpc.balanceOf(operator.address), 5n * USDC);
    assert.equal(await rpc.balanceOf(payer.signer.address), 15n * USDC);
    assert.deepEqual(
      facilitator.calls.map((call) => call.path),
      ['/verify', '/settle'],
    );
  });

  it('credits the same payment once, and nothing for a payer who cannot pay', async () => {
    const payment = encodePaymentSignatureHeader(
      await payingClient().createPaymentPayload(await requirements()),
    );
    const first = await post(payment);
    assert.equal(first.status, 200, JSON.stringify(await first.clone().json()));
    assert.equal((await json(first)).data.newBalance, 10);
    const callsBefore = facilitator.calls.length;
    const again = await post(payment);
    const refused = await json(again);
    assert.equal(again.status, 400, JSON.stringify(refused));
    validateResponse({ method: 'POST', path: '/x402/top-up', status: 400, body: refused });
    assert.equal(refused.error, 'X402_PAYMENT_ALREADY_CREDITED');
    assert.equal(facilitator.calls.length, callsBefore, 'refused before the facilitator');
    assert.equal(rpc.landed.length, 2);
    assert.equal(await rpc.balanceOf(operator.address), 10n * USDC);
    const wallet = `solana:${payer.signer.address}` as const;
    assert.equal((await rialto.store.wallets.balance(wallet)).balance, 10e9);
    assert.deepEqual(
      (await rialto.store.wallets.entries(wallet, { limit: 5, offset: 0 })).map((entry) => [
        entry.type,
        entry.amount,
        entry.network,
      ]),
      [
        ['TOP_UP', 5e9, DEVNET],
        ['TOP_UP', 5e9, DEVNET],
      ],
    );

    // $1 in the account, $5 asked: the facilitator's simulation fails (spl-token InsufficientFunds).
    const unfunded = await post(
      encodePaymentSignatureHeader(
        await payingClient(poor).createPaymentPayload(await requirements()),
      ),
    );
    const failure = await json(unfunded);
    assert.equal(unfunded.status, 400, JSON.stringify(failure));
    assert.equal(failure.error, 'X402_PAYMENT_VERIFICATION_FAILED');
    assert.equal(rpc.landed.length, 2);
    assert.equal(await rpc.balanceOf(poor.signer.address), 1n * USDC);
    assert.equal((await rialto.store.wallets.balance(`solana:${poor.signer.address}`)).balance, 0);
  });

  it('shows the balance to the wallet signed in with a Solana SIWx (ed25519), and to no other', async () => {
    const url = `${rialto.baseURL}/x402/balance/${payer.signer.address}`;
    const signIn = (wallet = payer) => ({
      'SIGN-IN-WITH-X': solanaSiwxHeader(wallet.siwx, { origin: rialto.origin, chainId: DEVNET }),
    });
    const response = await fetch(url, { headers: signIn() });
    const body = await json(response);
    assert.equal(response.status, 200, JSON.stringify(body));
    validateResponse({ method: 'GET', path: '/x402/balance/0x0', status: 200, body });
    assert.deepEqual(body.data, {
      walletAddress: payer.signer.address,
      balanceUsd: 10,
      canConsume: true,
      minimumTopUpUsd: 5,
      suggestedTopUpUsd: 10,
    });
    const other = await fetch(url, { headers: signIn(poor) });
    assert.equal(other.status, 403);
  });
});

describe('a Solana top-up whose settlement answer is lost', () => {
  it('is recorded as pending before it settles, then credited once by the running server from the node', async () => {
    const nodeFetch = globalThis.fetch;
    // As above: the payer's and the facilitator's @solana/kit calls go through undici 7's fetch.
    globalThis.fetch = undiciFetch as unknown as typeof fetch;
    // A busy payer: five more of its transactions land after the payment, and the node answers two signatures a
    // page, so the payment is on the third page of the payer's history (read one page only, it was never credited).
    const rpc = await startSolanaRpcDouble({ pageLimit: 2, laterTransactions: 5 });
    const payer = await solanaWallet();
    const feePayer = (await solanaWallet()).signer;
    const operator = (await solanaWallet()).signer;
    await rpc.fund(payer.signer.address, 20n * USDC);
    await rpc.fund(operator.address, 0n);
    let answer!: () => void;
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    // Settles on the node, then keeps /settle's answer past Rialto's 1 s facilitator timeout.
    const facilitator = await startSolanaFacilitatorDouble(rpc.url, feePayer, DEVNET, {
      afterSettle: () => held,
    });
    const rialto = await startRialto({
      wallets: solanaWallets(rpc, facilitator, feePayer, operator, { reconcile: true }),
    });
    try {
      const url = `${rialto.baseURL}/x402/top-up`;
      const asked = await fetch(url, { method: 'POST' });
      const payment = encodePaymentSignatureHeader(
        await solanaPayingClient(rpc, payer.signer).createPaymentPayload(
          decodePaymentRequiredHeader(asked.headers.get('payment-required') ?? ''),
        ),
      );
      const lost = await fetch(url, { method: 'POST', headers: { 'PAYMENT-SIGNATURE': payment } });
      const body = await json(lost);
      assert.equal(lost.status, 500, JSON.stringify(body));
      assert.equal(body.error, 'X402_SETTLEMENT_FAILED');
      const wallet = `solana:${payer.signer.address}`;
      // Polled, bounded (60 s): the reconciliation runs every second in the running server.
      let balance = (await rialto.store.wallets.balance(wallet)).balance;
      for (let turn = 0; turn < 300 && balance === 0; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        balance = (await rialto.store.wallets.balance(wallet)).balance;
      }
      assert.equal(balance, 5e9, 'credited from the node while running');
      assert.equal(rpc.landed.length, 1);
      assert.equal(await rpc.balanceOf(operator.address), 5n * USDC);
      const entries = await rialto.store.wallets.entries(wallet, { limit: 5, offset: 0 });
      assert.deepEqual(
        entries.map((entry) => [entry.type, entry.amount, entry.network, entry.transaction]),
        [['TOP_UP', 5e9, DEVNET, rpc.landed[0]!.signature]],
      );
      assert.deepEqual(await rialto.store.wallets.pendingTopUps(5), []);
      assert.deepEqual(
        facilitator.calls.map((call) => call.path),
        ['/verify', '/settle'],
        'settled once',
      );
      // Presented again: credited already, the facilitator not asked.
      const again = await fetch(url, { method: 'POST', headers: { 'PAYMENT-SIGNATURE': payment } });
      assert.equal((await json(again)).error, 'X402_PAYMENT_ALREADY_CREDITED');
      assert.equal(facilitator.calls.length, 2);
    } finally {
      answer();
      await rialto.close();
      await facilitator.close();
      await rpc.close();
      globalThis.fetch = nodeFetch;
    }
  });
});
