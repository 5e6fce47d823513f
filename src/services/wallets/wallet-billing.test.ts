import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { walletsConfig } from '../../config/wallets-config.ts';
import type { Store } from '../../storage/store.ts';
import { definePerStore, type OpenedStore } from '../../../test/support/stores-under-test.ts';
import { TopUpService } from './top-up-service.ts';
import { WalletBilling } from './wallet-billing.ts';
import { WalletService } from './wallet-service.ts';
import { createFacilitator } from './x402-facilitator.ts';

const ADDRESS = '0x00000000000000000000000000000000000000cc';
const WALLET = `eip155:${ADDRESS}`;
const CONFIG = walletsConfig.parse({
  enabled: true,
  networks: [{ id: 'eip155:84532', token: { address: ADDRESS }, payTo: ADDRESS }],
  // Never asked: these tests top up through the ledger.
  facilitator: { kind: 'url', url: 'http://127.0.0.1:9' },
});

function request(requestId: string, usd: number) {
  return {
    modelId: 'paid',
    modelType: 'text',
    requestId,
    limitClass: 'S' as const,
    tokens: 100,
    worstCase: { usd, diem: usd },
    privacy: 'private' as const,
  };
}

/** A WalletBilling over `store` and the Billing of one request signed in by WALLET. */
function walletBilling(store: Store) {
  const wallets = new WalletService(store.wallets, CONFIG);
  const topUp = new TopUpService(CONFIG, createFacilitator(CONFIG), store.wallets);
  const billing = new WalletBilling(store.wallets, wallets, topUp, undefined);
  const paid = billing.for(
    { wallet: WALLET, address: ADDRESS, chainId: 'eip155:84532' },
    { set: () => undefined, sent: () => false },
    { resourceUrl: 'http://rialto.test/api/v1/chat/completions', base: '' },
  );
  return { billing, paid };
}

await definePerStore('WalletBilling', (name, open) =>
  describe(`WalletBilling: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    before(async () => {
      opened = await open();
      store = opened.store;
      await store.wallets.credit({
        wallet: WALLET,
        type: 'TOP_UP',
        amount: 1e9,
        idempotencyKey: 'funding',
        createdAt: new Date().toISOString(),
      });
    });
    after(() => opened.cleanup());

    it('close waits for settlements in flight, so a shutdown charges them before the store closes', async () => {
      const { billing, paid } = walletBilling(store);
      const charged = await paid.reserve(request('chatcmpl-charged', 0.5));
      const released = await paid.reserve(request('chatcmpl-released', 0.1));
      const ended: string[] = [];
      // Both end while the server shuts down (a client that left mid-stream): neither is awaited before close.
      const settling = charged
        .settle({ promptTokens: 10, completionTokens: 10 }, { usd: 0.25, diem: 0.25 }, 'completed')
        .then(() => ended.push('settled'));
      const releasing = released.release('failed').then(() => ended.push('released'));
      assert.equal(await billing.close(), true);
      assert.deepEqual(ended.sort(), ['released', 'settled'], 'both ended before close resolved');
      assert.equal(await store.wallets.stateOf('wallet_chatcmpl-charged'), 'settled');
      assert.equal(await store.wallets.stateOf('wallet_chatcmpl-released'), 'released');
      const [charge] = await store.wallets.entries(WALLET, { limit: 1, offset: 0 });
      assert.deepEqual([charge?.type, charge?.amount], ['CHARGE', -0.25e9]);
      assert.deepEqual(await store.wallets.balance(WALLET), {
        wallet: WALLET,
        balance: 0.75e9,
        reserved: 0,
      });
      await Promise.all([settling, releasing]);
    });

    it('close answers false when a settlement is still open at its deadline', async () => {
      const { billing, paid } = walletBilling(store);
      const open = await paid.reserve(request('chatcmpl-open', 0.1));
      assert.equal(await billing.close(1), false);
      await open.release('failed');
      assert.equal(await store.wallets.stateOf('wallet_chatcmpl-open'), 'released');
    });
  }),
);
