/**
 * The Meter's work for a stream of requests, as the ledger benches run it (ledger-group-commit.ts, ledger-commits.ts):
 * a key with money in the store, then clients that each loop reserve → some turns of the event loop (the upstream)
 * → settle through `Meter.for(key).reserve` and the settlement it gives.
 */
import type { Meter } from '../src/services/billing/meter.ts';
import type { KeyService } from '../src/services/key-service.ts';
import type { Store } from '../src/storage/store.ts';

/** Per request: the process's CPU (user + system) and the wall time, µs. */
export interface MeterFigures {
  cpu: number;
  wall: number;
}

export interface MeterLoad {
  /** `requests` requests over `concurrency` clients; `turns(index)` loop turns between a request's reserve and settle. */
  run(
    round: string,
    concurrency: number,
    requests: number,
    turns: (index: number) => number,
  ): Promise<MeterFigures>;
  close(): Promise<void>;
}

/**
 * A key on `store` (the meter's, or one wrapping it) funded generously, and its load. `classes` are the Meter and
 * KeyService to use: this tree's, or a baseline tree's (ledger-group-commit.ts).
 */
export async function meterLoad(
  classes: { Meter: typeof Meter; KeyService: typeof KeyService },
  store: Store,
  meterStore: Store = store,
): Promise<MeterLoad> {
  const meter = new classes.Meter(meterStore);
  const { record } = await new classes.KeyService(store).create({
    apiKeyType: 'INFERENCE',
    description: 'bench',
  });
  await store.accounts.credit(record.accountId, 'USD', 1_000_000_000_000_000);
  const billing = meter.for(record);
  return {
    run: async (round, concurrency, requests, turns) => {
      const cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      let next = 0;
      const client = async (): Promise<void> => {
        while (next < requests) {
          const index = next++;
          const settlement = await billing.reserve({
            modelId: 'bench',
            modelType: 'text',
            requestId: `${round}-${concurrency}-${index}`,
            limitClass: 'S',
            tokens: 100,
            worstCase: { usd: 0.002, diem: 0.002 },
            privacy: 'private',
          });
          for (let turn = 0; turn < turns(index); turn += 1)
            await new Promise((resolve) => setImmediate(resolve));
          await settlement.settle(
            { promptTokens: 10, completionTokens: 20 },
            { usd: 0.001, diem: 0.001 },
            'completed',
          );
        }
      };
      await Promise.all(Array.from({ length: concurrency }, client));
      const cpu = process.cpuUsage(cpuBefore);
      return {
        cpu: (cpu.user + cpu.system) / requests,
        wall: Number(process.hrtime.bigint() - started) / 1e3 / requests,
      };
    },
    close: async () => {
      meter.close();
      await store.close();
    },
  };
}

/** The median of `values` (the upper one of an even count); NaN for none. */
export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
