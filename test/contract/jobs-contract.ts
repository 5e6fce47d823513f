import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobRecord } from '../../src/storage/store.ts';
import type { WithStore } from './store-contract.ts';

const at = (second: number): string => new Date(Date.UTC(2026, 2, 1, 0, 0, second)).toISOString();

function job(id: string, overrides: Partial<JobRecord> = {}): Omit<JobRecord, 'updatedAt'> {
  return {
    id,
    kind: 'video',
    modelId: 'video-model',
    accountId: 'a1',
    keyId: 'k1',
    request: { prompt: 'a cat', duration: '5s' },
    state: 'QUEUED',
    progress: null,
    engineJobId: null,
    resultKey: null,
    resultContentType: null,
    resultBytes: null,
    errorCode: null,
    errorMessage: null,
    refunded: false,
    attempts: 0,
    reservationId: 'r1',
    quote: 12_000_000_000,
    deleteOnDelivery: false,
    createdAt: at(0),
    startedAt: null,
    completedAt: null,
    deadlineAt: at(3600),
    nextRunAt: at(0),
    claimedBy: null,
    claimUntil: null,
    downloadTokenHash: null,
    downloadRevokedAt: null,
    ledger: 'account',
    ...overrides,
  };
}

/** store.ts JobRepository: records, conditional updates, and claims that one worker at a time can win. */
export function jobsContract(withStore: WithStore): void {
  describe('jobs', () => {
    it('round-trips a job, its request and its money', () =>
      withStore(async (store) => {
        await store.jobs.insert(job('j1'));
        const found = await store.jobs.find('j1');
        assert.deepEqual(
          { ...found, updatedAt: undefined },
          { ...job('j1'), updatedAt: undefined },
        );
        assert.equal(await store.jobs.find('nope'), undefined);
        // A wallet's job (migration 009): its quote is held on the wallet ledger, which the runner settles.
        await store.jobs.insert(job('j2', { accountId: 'eip155:0xabc', ledger: 'wallet' }));
        assert.equal((await store.jobs.find('j2'))?.ledger, 'wallet');
      }));

    it('finds a job by its download token hash; the link is revoked by update', () =>
      withStore(async (store) => {
        await store.jobs.insert(job('j1', { downloadTokenHash: 'a'.repeat(64) }));
        await store.jobs.insert(job('j2'));
        await store.jobs.insert(job('j3'));
        assert.equal((await store.jobs.find('j2'))?.downloadTokenHash, null);
        assert.equal((await store.jobs.findByDownloadToken('a'.repeat(64)))?.id, 'j1');
        assert.equal(await store.jobs.findByDownloadToken('b'.repeat(64)), undefined);
        assert.equal(await store.jobs.update('j1', { downloadRevokedAt: at(9) }), true);
        assert.equal(
          (await store.jobs.findByDownloadToken('a'.repeat(64)))?.downloadRevokedAt,
          at(9),
        );
      }));

    it('updates only in the states and for the worker it is told', () =>
      withStore(async (store) => {
        await store.jobs.insert(job('j1', { claimedBy: 'w1' }));
        assert.equal(
          await store.jobs.update('j1', { state: 'COMPLETED' }, { states: ['PROCESSING'] }),
          false,
        );
        assert.equal(
          await store.jobs.update(
            'j1',
            { state: 'PROCESSING', engineJobId: 'e1', progress: 0.5 },
            { states: ['QUEUED'], claimedBy: 'w2' },
          ),
          false,
        );
        assert.equal(
          await store.jobs.update(
            'j1',
            { state: 'PROCESSING', engineJobId: 'e1', progress: 0.5 },
            { states: ['QUEUED'], claimedBy: 'w1' },
          ),
          true,
        );
        assert.equal(
          await store.jobs.update('j1', { refunded: true, deleteOnDelivery: true }),
          true,
        );
        const found = await store.jobs.find('j1');
        assert.deepEqual(
          [
            found?.state,
            found?.engineJobId,
            found?.progress,
            found?.refunded,
            found?.deleteOnDelivery,
          ],
          ['PROCESSING', 'e1', 0.5, true, true],
        );
        assert.deepEqual(await store.jobs.countByState(), { PROCESSING: 1 });
      }));

    it('claims due, runnable jobs oldest first, each by one worker until its claim runs out', () =>
      withStore(async (store) => {
        await store.jobs.insert(job('late', { nextRunAt: at(100) }));
        await store.jobs.insert(job('done', { state: 'COMPLETED' }));
        await store.jobs.insert(job('b', { nextRunAt: at(2) }));
        await store.jobs.insert(job('a', { nextRunAt: at(1), state: 'PROCESSING' }));
        const first = await store.jobs.claim('w1', at(10), at(40));
        assert.deepEqual(
          [first?.id, first?.claimedBy, first?.claimUntil, first?.attempts],
          ['a', 'w1', at(40), 1],
        );
        assert.equal((await store.jobs.claim('w2', at(10), at(40)))?.id, 'b');
        assert.equal(await store.jobs.claim('w3', at(10), at(40)), undefined);
        // w1's claim runs out (it died): another worker takes the job over.
        const taken = await store.jobs.claim('w3', at(41), at(70));
        assert.deepEqual([taken?.id, taken?.claimedBy, taken?.attempts], ['a', 'w3', 2]);
        assert.equal(await store.jobs.update('a', { progress: 1 }, { claimedBy: 'w1' }), false);
        assert.equal(await store.jobs.claim('w4', at(10), at(40), 'late'), undefined);
        assert.equal((await store.jobs.claim('w4', at(100), at(140), 'late'))?.id, 'late');
      }));

    it('lists runnable jobs, next due first', () =>
      withStore(async (store) => {
        await store.jobs.insert(job('late', { nextRunAt: at(100) }));
        await store.jobs.insert(job('done', { state: 'COMPLETED' }));
        await store.jobs.insert(job('gone', { state: 'DELETED' }));
        await store.jobs.insert(
          job('held', {
            nextRunAt: at(5),
            state: 'PROCESSING',
            claimedBy: 'w1',
            claimUntil: at(40),
          }),
        );
        await store.jobs.insert(job('first', { nextRunAt: at(1) }));
        assert.deepEqual(
          (await store.jobs.runnable(10)).map((found) => found.id),
          ['first', 'held', 'late'],
        );
        assert.deepEqual(
          (await store.jobs.runnable(2)).map((found) => found.id),
          ['first', 'held'],
        );
      }));

    it('lists recent jobs newest first, ties by id, of one state when asked', () =>
      withStore(async (store) => {
        await store.jobs.insert(job('old', { createdAt: at(1), state: 'COMPLETED' }));
        await store.jobs.insert(job('a', { createdAt: at(5) }));
        await store.jobs.insert(job('b', { createdAt: at(5), state: 'FAILED' }));
        await store.jobs.insert(job('new', { createdAt: at(9), state: 'COMPLETED' }));
        assert.deepEqual(
          (await store.jobs.recent({ limit: 10 })).map((found) => found.id),
          ['new', 'b', 'a', 'old'],
        );
        assert.deepEqual(
          (await store.jobs.recent({ limit: 2 })).map((found) => found.id),
          ['new', 'b'],
        );
        assert.deepEqual(
          (await store.jobs.recent({ limit: 10, state: 'COMPLETED' })).map((found) => found.id),
          ['new', 'old'],
        );
        assert.deepEqual(await store.jobs.recent({ limit: 10, state: 'DELETED' }), []);
      }));

    it('concurrent claimers never share a job', () =>
      withStore(async (store) => {
        for (let index = 0; index < 20; index += 1)
          await store.jobs.insert(job(`j${String(index).padStart(2, '0')}`));
        const claims = await Promise.all(
          Array.from({ length: 30 }, (_, worker) => store.jobs.claim(`w${worker}`, at(10), at(40))),
        );
        const ids = claims.flatMap((claimed) => (claimed === undefined ? [] : [claimed.id]));
        assert.equal(ids.length, 20);
        assert.equal(new Set(ids).size, 20);
      }));
  });
}
