// The operator's read of the x402 wallets (#20 item 8): GET /admin/wallets (every wallet, its balance, totals and
// last activity) and GET /admin/wallets/{address}/entries (one wallet's ledger, newest first, paginated), ADMIN keys
// only, bodies checked against their Zod schemas (src/schemas/admin.ts) — on SQLite and on PostgreSQL (money: no
// sqlite-only marker). The ledger is written through the store, as the x402 top-ups and wallet billing write it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminWalletEntries, adminWalletList } from '../../src/schemas/admin.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';

const EVM = '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01';
const EVM_ID = `eip155:${EVM.toLowerCase()}`;
const SOLANA = '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV';
const SOLANA_ID = `solana:${SOLANA}`;
const UNKNOWN = '0x9999999999999999999999999999999999999999';

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`/admin/wallets on ${database}`, () => {
    let rialto: TestRialto;

    const get = async (path: string, key: string | null = rialto.adminKey) => {
      const response = await fetch(`${rialto.baseURL}${path}`, {
        headers: key === null ? {} : { authorization: `Bearer ${key}` },
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    before(async () => {
      rialto = await startRialto({}, { database });
      const wallets = rialto.store.wallets;
      // EVM: a $5 top-up, a charge of 123456789 nanos, a one-nano refund; Solana: $1.50 between them.
      await wallets.credit({
        wallet: EVM_ID,
        type: 'TOP_UP',
        amount: 5_000_000_000,
        idempotencyKey: 'eip155:84532:0xfeed',
        network: 'eip155:84532',
        transaction: '0xfeed',
        createdAt: '2026-12-01T10:00:00.000Z',
      });
      await wallets.credit({
        wallet: SOLANA_ID,
        type: 'TOP_UP',
        amount: 1_500_000_000,
        idempotencyKey: 'solana:devnet:sig1',
        createdAt: '2026-12-01T11:00:00.000Z',
      });
      assert.ok(
        await wallets.reserve({
          reservationId: 'hold-1',
          wallet: EVM_ID,
          amount: 200_000_000,
          floor: 0,
          requestId: 'req-1',
          modelId: 'tiny',
          createdAt: '2026-12-01T12:00:00.000Z',
          leaseUntil: '2099-01-01T00:00:00.000Z',
        }),
      );
      await wallets.settle('hold-1', 123_456_789, '2026-12-01T12:00:01.000Z');
      await wallets.credit({
        wallet: EVM_ID,
        type: 'REFUND',
        amount: 1,
        idempotencyKey: 'refund:req-1',
        requestId: 'req-1',
        createdAt: '2026-12-01T13:00:00.000Z',
      });
    });
    after(async () => {
      await rialto?.close();
    });

    it('refuses callers without a key (401) and INFERENCE keys (403), as every admin route', async () => {
      for (const path of ['/admin/wallets', `/admin/wallets/${EVM}/entries`]) {
        assert.equal((await get(path, null)).status, 401, path);
        const refused = await get(path, rialto.inferenceKey);
        assert.deepEqual(
          [refused.status, refused.body],
          [403, { error: 'Unauthorized access' }],
          path,
        );
      }
    });

    it('lists every wallet, most recently active first, with exact totals; pages', async () => {
      const listed = await get('/admin/wallets');
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const body = adminWalletList.parse(listed.body);
      assert.equal(body.total, 2);
      assert.deepEqual(body.data, [
        {
          address: EVM.toLowerCase(),
          network: 'eip155',
          balanceNanos: 5_000_000_000 - 123_456_789 + 1,
          reservedNanos: 0,
          toppedUpNanos: 5_000_000_000,
          chargedNanos: 123_456_789,
          refundedNanos: 1,
          entries: 3,
          createdAt: '2026-12-01T10:00:00.000Z',
          lastActivityAt: '2026-12-01T13:00:00.000Z',
        },
        {
          address: SOLANA,
          network: 'solana',
          balanceNanos: 1_500_000_000,
          reservedNanos: 0,
          toppedUpNanos: 1_500_000_000,
          chargedNanos: 0,
          refundedNanos: 0,
          entries: 1,
          createdAt: '2026-12-01T11:00:00.000Z',
          lastActivityAt: '2026-12-01T11:00:00.000Z',
        },
      ]);
      const second = adminWalletList.parse((await get('/admin/wallets?limit=1&offset=1')).body);
      assert.deepEqual([second.total, second.data.map((wallet) => wallet.address)], [2, [SOLANA]]);
    });

    it("reads one wallet's ledger newest first, by any casing of its address, in pages", async () => {
      const read = await get(`/admin/wallets/${EVM}/entries`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      const ledger = adminWalletEntries.parse(read.body);
      assert.deepEqual(
        [ledger.address, ledger.network, ledger.balanceNanos, ledger.hasMore],
        [EVM.toLowerCase(), 'eip155', 4_876_543_212, false],
      );
      assert.deepEqual(
        ledger.data.map((entry) => [entry.type, entry.amountNanos, entry.balanceAfterNanos]),
        [
          ['REFUND', 1, 4_876_543_212],
          ['CHARGE', -123_456_789, 4_876_543_211],
          ['TOP_UP', 5_000_000_000, 5_000_000_000],
        ],
      );
      assert.deepEqual(
        [ledger.data[2]?.network, ledger.data[2]?.transaction, ledger.data[1]?.modelId],
        ['eip155:84532', '0xfeed', 'tiny'],
      );
      const first = adminWalletEntries.parse(
        (await get(`/admin/wallets/${EVM.toLowerCase()}/entries?limit=2`)).body,
      );
      assert.deepEqual(
        [first.hasMore, first.data.map((entry) => entry.type)],
        [true, ['REFUND', 'CHARGE']],
      );
      const last = adminWalletEntries.parse(
        (await get(`/admin/wallets/${EVM}/entries?limit=2&offset=2`)).body,
      );
      assert.deepEqual([last.hasMore, last.data.map((entry) => entry.type)], [false, ['TOP_UP']]);
      const solana = adminWalletEntries.parse((await get(`/admin/wallets/${SOLANA}/entries`)).body);
      assert.deepEqual(
        solana.data.map((entry) => entry.amountNanos),
        [1_500_000_000],
      );
    });

    it('answers an unknown wallet 404 and bad input 400 with the Venice error', async () => {
      assert.deepEqual(await get(`/admin/wallets/${UNKNOWN}/entries`), {
        status: 404,
        body: { error: 'Wallet not found' },
      });
      for (const path of [
        '/admin/wallets/0x123/entries',
        `/admin/wallets/${'0'.repeat(300)}/entries`,
        '/admin/wallets?limit=0',
        '/admin/wallets?limit=201',
        '/admin/wallets?offset=-1',
        '/admin/wallets?limit=1.5',
        '/admin/wallets?page=2',
        `/admin/wallets/${EVM}/entries?limit=abc`,
      ]) {
        const refused = await get(path);
        assert.equal(refused.status, 400, `${path}: ${JSON.stringify(refused.body)}`);
        assert.ok(Array.isArray(refused.body.issues), JSON.stringify(refused.body));
      }
    });
  });
}
