import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseConfig } from '../../config.ts';
import { openSqliteStore } from '../../storage/sqlite-store.ts';
import { balanceRemainingHeader, WalletService } from './wallet-service.ts';

const WALLET = 'eip155:0x00000000000000000000000000000000000000bb';

it('bills a wallet as keys are billed: reserve the worst case above the minimum balance, settle the actual', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const service = new WalletService(store.wallets, parseConfig({}).wallets);
    const lease = new Date(Date.now() + 60_000).toISOString();
    const request = (requestId: string, usd: number) => ({
      wallet: WALLET,
      amount: usd * 1e9,
      requestId,
      modelId: 'm',
      leaseUntil: lease,
    });
    assert.equal(await service.reserve(request('chatcmpl-0', 0.01)), undefined);
    await store.wallets.credit({
      wallet: WALLET,
      type: 'TOP_UP',
      amount: 1e9,
      idempotencyKey: 'p',
      createdAt: new Date().toISOString(),
    });
    // $1 with $0.10 kept free: $0.95 is refused, $0.90 held.
    assert.equal(await service.reserve(request('chatcmpl-1', 0.95)), undefined);
    const held = await service.reserve(request('chatcmpl-2', 0.9));
    assert.ok(held);
    assert.deepEqual((await service.balanceView(WALLET)).balanceUsd, 0.1);
    const free = await service.settle(held, 0.25e9);
    assert.equal(balanceRemainingHeader(free), '0.750000');
    const view = await service.transactionsView(WALLET, { limit: 1, offset: 0 });
    assert.deepEqual(view.transactions[0]?.type, 'CHARGE');
    assert.deepEqual(view.transactions[0]?.amount, -0.25);
    assert.deepEqual(view.transactions[0]?.requestId, 'chatcmpl-2');
    assert.equal(view.pagination.hasMore, true);
    const released = await service.reserve(request('chatcmpl-3', 0.5));
    assert.ok(released);
    await service.release(released);
    assert.deepEqual(await service.balanceView(WALLET), {
      walletAddress: '0x00000000000000000000000000000000000000bb',
      balanceUsd: 0.75,
      canConsume: true,
      minimumTopUpUsd: 5,
      suggestedTopUpUsd: 10,
    });
  } finally {
    await store.close();
  }
});
