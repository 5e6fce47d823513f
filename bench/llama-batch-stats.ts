/**
 * A diagnostic preload for node-llama-cpp processes: how many sequences each llama.cpp decode carried, and how the
 * wall time splits between decoding and the JavaScript between two decodes (sampling callbacks, chat bookkeeping,
 * Rialto's per-token work), and into how many passes over the weights llama.cpp splits each decode, per busy period
 * (one bench run). Written as JSON to
 * $LLAMA_BATCH_STATS_DIR/batch-stats-<pid>.json when the process exits.
 *
 *   NODE_OPTIONS="--import tsx --import ./bench/llama-batch-stats.ts" LLAMA_BATCH_STATS_DIR=/tmp/stats npm run bench:engine
 *
 * NODE_OPTIONS reaches every node process of the run; only those whose script matches LLAMA_BATCH_STATS_SCRIPTS (a
 * regular expression, default bare-llama.ts and Rialto's llama.cpp worker) are instrumented: node-llama-cpp's own
 * binary probe, a child node process too, must not load node-llama-cpp twice. It wraps LlamaContext's native context (node-llama-cpp internals of 3.x:
 * `_ctx.initBatch`, `addToBatch`, `decodeBatch`), so it is a measuring tool, never imported by Rialto.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface NativeContext {
  initBatch(size: number): void;
  addToBatch(...parts: unknown[]): unknown;
  decodeBatch(): Promise<void>;
}
/**
 * One busy period: decodes with less than IDLE_MS between them (a bench run at one concurrency level). batches: decodes
 * by how many sequences they carried; passes: by how many micro-batches llama.cpp splits them into, for a non-unified
 * KV cache (node-llama-cpp's): one per run of consecutive, increasing sequence ids (llama_batch_allocr::split_equal).
 */
interface Period {
  batches: Record<number, number>;
  passes: Record<number, number>;
  /** The sequence ids of each decode in the order they were added (e.g. `2,0,3`), counted. */
  orders: Record<string, number>;
  tokens: number;
  decodeMs: number;
  betweenMs: number;
  wallMs: number;
}

/** A gap this long ends a period: the bench's runs are separated by the other sides' runs. */
const IDLE_MS = 200;
const directory = process.env.LLAMA_BATCH_STATS_DIR ?? '/tmp';
const periods: Period[] = [];
let period: Period | undefined;
let lastDecodeAt = 0;
const now = (): number => performance.now();

/** Counts the sequences added to each batch and times its decode and the gap before it. */
function instrument(native: NativeContext): NativeContext {
  let sequenceIds: number[] = [];
  let tokens = 0;
  const decode = async (): Promise<void> => {
    const started = now();
    if (period === undefined || started - lastDecodeAt > IDLE_MS) {
      period = {
        batches: {},
        passes: {},
        orders: {},
        tokens: 0,
        decodeMs: 0,
        betweenMs: 0,
        wallMs: 0,
      };
      periods.push(period);
    } else period.betweenMs += started - lastDecodeAt;
    const current = period;
    try {
      await native.decodeBatch();
    } finally {
      lastDecodeAt = now();
      current.decodeMs += lastDecodeAt - started;
      current.wallMs = current.decodeMs + current.betweenMs;
      const passes = sequenceIds.filter(
        (id, index) => index === 0 || id !== sequenceIds[index - 1]! + 1,
      ).length;
      current.batches[sequenceIds.length] = (current.batches[sequenceIds.length] ?? 0) + 1;
      current.passes[passes] = (current.passes[passes] ?? 0) + 1;
      const order = sequenceIds.join(',');
      current.orders[order] = (current.orders[order] ?? 0) + 1;
      current.tokens += tokens;
    }
  };
  return new Proxy(native, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (property === 'initBatch')
        return (size: number) => {
          sequenceIds = [];
          tokens = size;
          target.initBatch(size);
        };
      // addToBatch(sequenceId, firstTokenSequenceIndex, tokens, logitIndexes)
      if (property === 'addToBatch')
        return (...parts: unknown[]) => {
          sequenceIds.push(Number(parts[0]));
          return target.addToBatch(...parts);
        };
      if (property === 'decodeBatch') return decode;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Wraps each context's native object the first time it dispatches a batch, in the processes that decode. */
async function install(): Promise<void> {
  const { LlamaContext } = await import('node-llama-cpp');
  const instrumented = new WeakSet<object>();
  const prototype = LlamaContext.prototype as unknown as {
    dispatchPendingBatch(this: { _ctx: NativeContext }): void;
  };
  const dispatchPendingBatch = prototype.dispatchPendingBatch;
  prototype.dispatchPendingBatch = function (this: { _ctx: NativeContext }) {
    if (!instrumented.has(this)) {
      instrumented.add(this);
      this._ctx = instrument(this._ctx);
    }
    dispatchPendingBatch.call(this);
  };
  // The bench stops bare-llama.ts with SIGTERM, which skips 'exit' handlers unless one exits on it.
  process.once('SIGTERM', () => process.exit(0));
  process.on('exit', () => {
    if (periods.length > 0)
      writeFileSync(
        join(directory, `batch-stats-${process.pid}.json`),
        JSON.stringify({ pid: process.pid, script: process.argv[1], periods }),
      );
  });
}

if (
  new RegExp(process.env.LLAMA_BATCH_STATS_SCRIPTS ?? 'bare-llama|llama-cpp-worker').test(
    process.argv[1] ?? '',
  )
)
  await install();
