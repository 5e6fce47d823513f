// Issue #20 (done when): a SIGKILL between settlement and credit neither loses nor doubles the credit. Rialto runs
// as its own process (SQLite file, or PostgreSQL with RIALTO_TEST_STORE=postgres), settling through a facilitator
// double that settles on the ganache chain and then holds /settle's answer while the test kills Rialto. The
// restarted process finds the pending top-up, asks the chain, and credits it once; the payment presented again
// credits nothing more.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodePaymentRequiredHeader, encodePaymentSignatureHeader } from '@x402/core/http';
import { privateKeyToAccount } from 'viem/accounts';
import { openPostgresStore } from '../../src/storage/postgres-store.ts';
import { openSqliteStore } from '../../src/storage/sqlite-store.ts';
import type { Store } from '../../src/storage/store.ts';
import {
  balanceOf,
  CHAIN_PRIVATE_KEYS,
  type DeployedToken,
  deployToken,
  type EvmChain,
  mint,
  startEvmChain,
} from '../support/evm-chain.ts';
import {
  dropSchema,
  TEST_DATABASE_URL,
  uniqueSchemaName,
} from '../support/postgres-test-database.ts';
import { type SpawnedRialto, spawnRialto } from '../support/spawn-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  type FacilitatorDouble,
  startFacilitatorDouble,
} from '../support/x402-facilitator-double.ts';
import { evmPayingClient } from './x402-support.ts';

const POSTGRES = process.env.RIALTO_TEST_STORE === 'postgres';
const payer = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1]!);
const operator = privateKeyToAccount(CHAIN_PRIVATE_KEYS[2]!).address;
const USDC = 1_000_000n;
const WALLET = `eip155:${payer.address.toLowerCase()}`;

let chain: EvmChain;
let token: DeployedToken;

before(async () => {
  chain = await startEvmChain({ chainId: 84532 });
  token = await deployToken(chain);
  await mint(chain, token, payer.address, 100n * USDC);
});
after(async () => {
  await chain?.stop();
});

/** A data folder, a rialto.yaml with wallets through `facilitator`, and the store it uses (SQLite or a PG schema). */
function setUp(facilitator: FacilitatorDouble) {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-x402-crash-'));
  const schema = uniqueSchemaName();
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    ...(POSTGRES ? { DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}` } : {}),
  };
  delete environment.RIALTO_CONFIG;
  const config = join(directory, 'rialto.yaml');
  writeFileSync(
    config,
    [
      'server: { port: 0 }',
      'dataDirectory: ./data',
      'logLevel: info',
      'rateLimits: { enabled: false }',
      'wallets:',
      '  enabled: true',
      `  networks: [{ id: "eip155:84532", token: { address: "${token.address}" }, payTo: "${operator}", rpcUrl: "${chain.rpcUrl}" }]`,
      `  facilitator: { kind: url, url: "${facilitator.url}" }`,
      '',
    ].join('\n'),
  );
  const openStore = (): Promise<Store> =>
    POSTGRES
      ? openPostgresStore(TEST_DATABASE_URL, { schema })
      : openSqliteStore(join(directory, 'data', 'rialto.db'));
  const tearDown = async () => {
    if (POSTGRES) await dropSchema(schema);
    rmSync(directory, { recursive: true, force: true });
  };
  return { config, environment, openStore, tearDown };
}

/** A signed payment of `usd` dollars for the requirements Rialto's 402 gives, as a PAYMENT-SIGNATURE header. */
async function paymentFor(server: SpawnedRialto, usd: bigint): Promise<string> {
  const required = await fetch(`${server.url}/x402/top-up`, { method: 'POST' });
  assert.equal(required.status, 402);
  const requirements = decodePaymentRequiredHeader(required.headers.get('payment-required')!);
  const [accept] = requirements.accepts;
  assert.ok(accept !== undefined);
  return encodePaymentSignatureHeader(
    await evmPayingClient(payer, token.address).createPaymentPayload({
      ...requirements,
      accepts: [{ ...accept, amount: String(usd * USDC) }],
    }),
  );
}

const topUp = (server: SpawnedRialto, payment: string) =>
  fetch(`${server.url}/x402/top-up`, { method: 'POST', headers: { 'payment-signature': payment } });

async function kill(server: SpawnedRialto): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGKILL');
  await once(server.child, 'exit');
}

/** Polls the store (bounded, 10 s) until the wallet's balance is `nanos`. */
async function balanceReaches(store: Store, nanos: number): Promise<number> {
  let balance = (await store.wallets.balance(WALLET)).balance;
  for (let turn = 0; turn < 100 && balance !== nanos; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    balance = (await store.wallets.balance(WALLET)).balance;
  }
  return balance;
}

test('SIGKILL after the settlement and before the credit: the restart credits once, the payment again credits nothing', async () => {
  let settledOnChain!: () => void;
  const settled = new Promise<void>((resolve) => {
    settledOnChain = resolve;
  });
  let answer!: () => void;
  const held = new Promise<void>((resolve) => {
    answer = resolve;
  });
  const facilitator = await startFacilitatorDouble(chain, CHAIN_PRIVATE_KEYS[3]!, {
    afterSettle: async () => {
      settledOnChain();
      await held;
    },
  });
  const setup = setUp(facilitator);
  const operatorBefore = await balanceOf(chain, token, operator);
  let server = await spawnRialto(setup.config, setup.environment);
  try {
    const payment = await paymentFor(server, 7n);
    const first = topUp(server, payment).catch((error: unknown) => error);
    await settled;
    assert.equal(
      await balanceOf(chain, token, operator),
      operatorBefore + 7n * USDC,
      'paid on chain',
    );
    await kill(server);
    assert.ok((await first) instanceof Error, 'the killed process never answered');

    const store = await setup.openStore();
    try {
      assert.equal(
        (await store.wallets.balance(WALLET)).balance,
        0,
        'not credited before the restart',
      );
      assert.equal(
        (await store.wallets.pendingTopUps(10)).length,
        1,
        'the top-up was left pending',
      );

      server = await spawnRialto(setup.config, setup.environment);
      assert.equal(
        await balanceReaches(store, 7e9),
        7e9,
        'the restart credits the settled payment',
      );
      const entries = await store.wallets.entries(WALLET, { limit: 10, offset: 0 });
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.type, 'TOP_UP');
      assert.equal(entries[0]!.amount, 7e9);
      assert.equal(entries[0]!.balanceAfter, 7e9);
      assert.match(
        entries[0]!.transaction ?? '',
        /^0x[0-9a-f]{64}$/,
        'the settlement transaction found on chain',
      );
      assert.deepEqual(await store.wallets.pendingTopUps(10), []);

      const again = await topUp(server, payment);
      const body = (await again.json()) as { error: string };
      assert.equal(again.status, 400, JSON.stringify(body));
      validateResponse({ method: 'POST', path: '/x402/top-up', status: 400, body });
      assert.equal(body.error, 'X402_PAYMENT_ALREADY_CREDITED');
      assert.equal((await store.wallets.balance(WALLET)).balance, 7e9, 'credited once');
      const after = await store.wallets.entries(WALLET, { limit: 10, offset: 0 });
      assert.equal(after.length, 1, 'one entry: the ledger adds up to the balance');
      assert.deepEqual(
        facilitator.calls.map((call) => call.path),
        ['/verify', '/settle'],
        'the payment was settled once',
      );
    } finally {
      await store.close();
    }
  } finally {
    answer();
    await kill(server);
    await facilitator.close();
    await setup.tearDown();
  }
});
