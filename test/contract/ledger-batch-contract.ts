import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LedgerEntry, ReserveRequest, Store } from '../../src/storage/store.ts';

const NANOS = 1_000_000_000;
let sequence = 0;

export function request(
  accountId: string,
  keyId: string,
  overrides: Partial<ReserveRequest> = {},
): ReserveRequest {
  sequence += 1;
  return {
    reservationId: `rb-${process.pid}-${sequence}-${Math.random().toString(36).slice(2)}`,
    accountId,
    keyId,
    period: '2026-11-25',
    keyLimits: { USD: null, DIEM: null },
    amount: NANOS,
    requestId: `chatcmpl-b${sequence}`,
    modelId: 'm',
    createdAt: new Date().toISOString(),
    leaseUntil: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
}

const usage = (amount: number, status = 'completed') => ({
  modelType: 'text',
  amount,
  promptTokens: 10,
  completionTokens: 5,
  cachedTokens: 0,
  status,
  executionMs: 3,
  createdAt: new Date().toISOString(),
});
const settle = (reservationId: string, amount: number): LedgerEntry => ({
  kind: 'close',
  reservationId,
  state: 'settled',
  usage: usage(amount),
});
const release = (reservationId: string): LedgerEntry => ({
  kind: 'close',
  reservationId,
  state: 'released',
  usage: usage(0, 'failed'),
});

/** The ledger's group commits (LedgerRepository.reserveMany, closeMany): every dialect must pass it unchanged. */
export function defineLedgerBatchContract(
  name: string,
  open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): void {
  describe(`ledger group commits: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await open()));
    after(async () => cleanup());

    const account = async (usd: number, diem = 0): Promise<string> => {
      const id = `acct-b-${Math.random().toString(36).slice(2)}`;
      await store.accounts.ensure(id, id, new Date().toISOString());
      if (usd > 0) await store.accounts.credit(id, 'USD', usd);
      if (diem > 0) await store.accounts.credit(id, 'DIEM', diem);
      return id;
    };

    it('a batch decides its requests in order, as many single reserves would: DIEM first, then USD, then refusals', async () => {
      const accountId = await account(2 * NANOS, NANOS);
      const limited = await account(10 * NANOS);
      const outcomes = await store.ledger.reserveMany([
        request(accountId, 'kb1'),
        request(accountId, 'kb1'),
        request(accountId, 'kb1'),
        request(accountId, 'kb1'),
        request(limited, 'kb2', { keyLimits: { USD: 1.5 * NANOS, DIEM: null } }),
        request(limited, 'kb2', { keyLimits: { USD: 1.5 * NANOS, DIEM: null } }),
      ]);
      assert.deepEqual(outcomes, [
        { reserved: true, currency: 'DIEM' },
        { reserved: true, currency: 'USD' },
        { reserved: true, currency: 'USD' },
        { reserved: false, reason: 'INSUFFICIENT_BALANCE' },
        { reserved: true, currency: 'USD' },
        { reserved: false, reason: 'API_KEY_USD_SPEND_LIMIT_EXCEEDED' },
      ]);
      const held = (await store.accounts.find(accountId))!;
      assert.deepEqual([held.usdReserved, held.diemReserved], [2 * NANOS, NANOS]);
      assert.deepEqual(await store.ledger.keySpend('kb2', '2026-11-25'), {
        usdSpent: 0,
        usdReserved: NANOS,
        diemSpent: 0,
        diemReserved: 0,
      });
    });

    it('an unknown account is refused for its balance, the rest of the batch still reserved', async () => {
      const accountId = await account(NANOS);
      const outcomes = await store.ledger.reserveMany([
        request('no-such-account', 'kb3'),
        request(accountId, 'kb3'),
      ]);
      assert.deepEqual(outcomes, [
        { reserved: false, reason: 'INSUFFICIENT_BALANCE' },
        { reserved: true, currency: 'USD' },
      ]);
    });

    it('concurrent batches against a key limit of 50 admit exactly 50', async () => {
      const accountId = await account(1000 * NANOS);
      const keyId = `kb-race-${Math.random()}`;
      const batch = () =>
        store.ledger.reserveMany(
          Array.from({ length: 20 }, () =>
            request(accountId, keyId, { keyLimits: { USD: 50 * NANOS, DIEM: null } }),
          ),
        );
      const outcomes = (await Promise.all(Array.from({ length: 10 }, batch))).flat();
      assert.equal(outcomes.filter((outcome) => outcome.reserved).length, 50);
      assert.equal((await store.ledger.keySpend(keyId, '2026-11-25')).usdReserved, 50 * NANOS);
      assert.equal((await store.accounts.find(accountId))!.usdReserved, 50 * NANOS);
    });

    it('closeMany settles, releases and records in one go; each reservation closes once, the books add up', async () => {
      const accountId = await account(10 * NANOS, NANOS);
      const [diem, usd1, usd2, usd3] = [
        request(accountId, 'kb4'),
        request(accountId, 'kb4'),
        request(accountId, 'kb4'),
        request(accountId, 'kb4'),
      ];
      assert.ok(
        (await store.ledger.reserveMany([diem!, usd1!, usd2!, usd3!])).every(
          (outcome) => outcome.reserved,
        ),
      );
      const free: LedgerEntry = {
        kind: 'record',
        record: {
          id: `free-${Math.random()}`,
          requestId: 'chatcmpl-free',
          accountId,
          keyId: 'kb4',
          modelId: 'm',
          currency: 'USD',
          ...usage(0),
        },
      };
      const applied = await store.ledger.closeMany([
        settle(diem!.reservationId, NANOS / 4),
        settle(usd1!.reservationId, 3 * NANOS),
        release(usd2!.reservationId),
        settle(usd2!.reservationId, NANOS),
        free,
        settle('unknown-reservation', NANOS),
      ]);
      assert.deepEqual(
        applied,
        [true, true, true, false, true, false],
        'a second close of one reservation in a batch does not apply',
      );
      assert.deepEqual(
        await store.ledger.closeMany([
          settle(usd1!.reservationId, NANOS),
          release(usd3!.reservationId),
        ]),
        [false, true],
        'closed once, across batches',
      );
      const state = (await store.accounts.find(accountId))!;
      assert.deepEqual(
        [state.usdBalance, state.usdReserved, state.diemBalance, state.diemReserved],
        [9 * NANOS, 0, 0.75 * NANOS, 0],
      );
      assert.deepEqual(await store.ledger.keySpend('kb4', '2026-11-25'), {
        usdSpent: NANOS,
        usdReserved: 0,
        diemSpent: NANOS / 4,
        diemReserved: 0,
      });
      const records = await store.usage.list({ accountId, limit: 10 });
      assert.equal(
        records.length,
        5,
        'one record per closed reservation and one for the free request',
      );
      assert.deepEqual(
        records.map((record) => record.amount).sort((a, b) => a - b),
        [0, 0, 0, NANOS / 4, NANOS],
      );
      assert.deepEqual(
        ['settled', 'settled', 'released', 'released'],
        await Promise.all(
          [diem, usd1, usd2, usd3].map((entry) => store.ledger.stateOf(entry!.reservationId)),
        ),
      );
    });

    it('a batch that fails writes nothing of it', async () => {
      const accountId = await account(5 * NANOS);
      const reserve = request(accountId, 'kb5');
      await store.ledger.reserveMany([reserve]);
      const id = `dup-${Math.random()}`;
      const record = {
        id,
        requestId: 'chatcmpl-dup',
        accountId,
        keyId: 'kb5',
        modelId: 'm',
        currency: 'USD' as const,
        ...usage(0),
      };
      await assert.rejects(
        store.ledger.closeMany([
          settle(reserve.reservationId, NANOS),
          { kind: 'record', record },
          { kind: 'record', record },
        ]),
      );
      assert.equal(await store.ledger.stateOf(reserve.reservationId), 'open');
      const state = (await store.accounts.find(accountId))!;
      assert.deepEqual([state.usdBalance, state.usdReserved], [5 * NANOS, NANOS]);
      assert.equal((await store.usage.list({ accountId, limit: 10 })).length, 0);
    });

    it('commitMany closes, then reserves, in one transaction: the reservations see the money the closings freed', async () => {
      const accountId = await account(2 * NANOS);
      const [first, second] = [request(accountId, 'kb6'), request(accountId, 'kb6')];
      assert.ok((await store.ledger.reserveMany([first!, second!])).every((o) => o.reserved));
      const [fits, over] = [
        request(accountId, 'kb6', { amount: 1.5 * NANOS }),
        request(accountId, 'kb6', { amount: NANOS }),
      ];
      const result = await store.ledger.commitMany({
        closes: [settle(first!.reservationId, NANOS / 2), release(second!.reservationId)],
        reserves: [fits!, over!],
      });
      assert.deepEqual(result, {
        closed: [true, true],
        reserved: [
          { reserved: true, currency: 'USD' },
          { reserved: false, reason: 'INSUFFICIENT_BALANCE' },
        ],
      });
      const state = (await store.accounts.find(accountId))!;
      assert.deepEqual([state.usdBalance, state.usdReserved], [1.5 * NANOS, 1.5 * NANOS]);
      assert.deepEqual(await store.ledger.keySpend('kb6', '2026-11-25'), {
        usdSpent: NANOS / 2,
        usdReserved: 1.5 * NANOS,
        diemSpent: 0,
        diemReserved: 0,
      });
      assert.equal((await store.usage.list({ accountId, limit: 10 })).length, 2);
      assert.deepEqual(
        await store.ledger.commitMany({
          closes: [settle(first!.reservationId, NANOS)],
          reserves: [],
        }),
        { closed: [false], reserved: [] },
        'closed once, across batches',
      );
    });

    it('a commitMany that fails writes nothing of it: neither its closings nor its reservations', async () => {
      const accountId = await account(5 * NANOS);
      const open = request(accountId, 'kb7');
      await store.ledger.reserveMany([open]);
      const record = {
        id: `dup-${Math.random()}`,
        requestId: 'chatcmpl-dup',
        accountId,
        keyId: 'kb7',
        modelId: 'm',
        currency: 'USD' as const,
        ...usage(0),
      };
      const fresh = request(accountId, 'kb7');
      await assert.rejects(
        store.ledger.commitMany({
          closes: [
            settle(open.reservationId, NANOS),
            { kind: 'record', record },
            { kind: 'record', record },
          ],
          reserves: [fresh],
        }),
      );
      assert.equal(await store.ledger.stateOf(open.reservationId), 'open');
      assert.equal(await store.ledger.stateOf(fresh.reservationId), undefined);
      const state = (await store.accounts.find(accountId))!;
      assert.deepEqual([state.usdBalance, state.usdReserved], [5 * NANOS, NANOS]);
      assert.equal((await store.usage.list({ accountId, limit: 10 })).length, 0);
    });

    it('concurrent commitMany batches closing on one account and reserving on another neither deadlock nor lose a nano', async () => {
      const accounts = [await account(1000 * NANOS), await account(1000 * NANOS)] as const;
      const keys = [`kb8-${Math.random()}`, `kb9-${Math.random()}`] as const;
      const reserveOn = (side: 0 | 1) => request(accounts[side], keys[side]);
      // Open reservations on both accounts, for the batches below to close.
      const opened = [
        Array.from({ length: 40 }, () => reserveOn(0)),
        Array.from({ length: 40 }, () => reserveOn(1)),
      ];
      for (const side of opened)
        assert.ok((await store.ledger.reserveMany(side)).every((o) => o.reserved));
      // Each batch closes four on one account and reserves four on the other; the next batch the other way round.
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => {
          const from = (index % 2) as 0 | 1;
          const closing = opened[from]!.slice(
            Math.floor(index / 2) * 4,
            Math.floor(index / 2) * 4 + 4,
          );
          return store.ledger.commitMany({
            closes: closing.map((reservation) => settle(reservation.reservationId, NANOS / 2)),
            reserves: Array.from({ length: 4 }, () => reserveOn(from === 0 ? 1 : 0)),
          });
        }),
      );
      assert.ok(
        results.every(
          ({ closed, reserved }) => closed.every(Boolean) && reserved.every((o) => o.reserved),
        ),
      );
      for (const side of [0, 1] as const) {
        const state = (await store.accounts.find(accounts[side]))!;
        // 40 opened, 40 settled at half a dollar, 40 more reserved by the batches.
        assert.deepEqual([state.usdBalance, state.usdReserved], [980 * NANOS, 40 * NANOS]);
        assert.deepEqual(await store.ledger.keySpend(keys[side], '2026-11-25'), {
          usdSpent: 20 * NANOS,
          usdReserved: 40 * NANOS,
          diemSpent: 0,
          diemReserved: 0,
        });
      }
    });
  });
}
