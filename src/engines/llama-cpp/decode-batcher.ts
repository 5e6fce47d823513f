import type { LlamaContext, LlamaContextSequence } from 'node-llama-cpp';

/** LlamaContext's decode queue (node-llama-cpp 3.x, internal): each sequence's evaluation enters it here. */
type DecodeTokens = (
  options: { sequenceId: number; tokens: readonly unknown[] },
  ...rest: unknown[]
) => Promise<unknown>;

/**
 * Makes each llama.cpp decode of a context carry one token of every sequence that is generating, added in
 * sequence-id order. node-llama-cpp alone does neither: its dispatch loop decodes whatever is queued when the last
 * decode's samples are handed out, and one chat, a few awaits deeper, has always not queued yet (3 of 4 sequences a
 * decode), in an order that rotates; and llama.cpp splits a batch for its non-unified KV cache into one pass over the
 * weights per run of consecutive increasing ids (`llama_batch_allocr::split_equal`), so `2,1,0` costs three passes.
 * In Rialto's worker (512-wide GGUF, 4 chats) that was 1.1-1.9 tokens a pass, with whole runs of one sequence a
 * decode. Here a sequence's request to decode a token waits until every sequence `begin` marked has one; then all
 * enter the queue at once, in id order: 4 tokens in one pass, as llama-server's slots. It waits for a sequence whose
 * one-token decode is in flight (it comes back within the tick its sample arrives), and at most one event-loop turn
 * for one that is busy otherwise (its prompt, tokenising, finishing), so it never stalls a decode. The decode is
 * dispatched at once.
 */
export class DecodeBatcher {
  private readonly generating = new Set<number>();
  /** Sequences whose one-token decode is queued or running: they will ask again, or end. */
  private readonly inFlight = new Set<number>();
  private held = new Map<number, () => void>();
  private turn: NodeJS.Immediate | undefined;
  /** Releases by how many sequences each let into the queue at once (decoded together): size → count. */
  readonly releases = new Map<number, number>();

  private constructor(private readonly context?: LlamaContext) {}

  /**
   * Routes `context`'s decode requests through a batcher. Without the internal it relies on (another
   * node-llama-cpp), decodes go as they come, as before: slower at several sequences, never wrong.
   */
  static attach(context: LlamaContext): DecodeBatcher {
    const internal = context as unknown as { _decodeTokens?: DecodeTokens };
    const decode = internal._decodeTokens;
    if (typeof decode !== 'function') return new DecodeBatcher();
    const batcher = new DecodeBatcher(context);
    internal._decodeTokens = (options, ...rest) =>
      new Promise((resolve, reject) => {
        const { sequenceId } = options;
        const single = options.tokens.length <= 1;
        batcher.request(sequenceId, () => {
          if (single) batcher.inFlight.add(sequenceId);
          decode
            .call(context, options, ...rest)
            .then(resolve, reject)
            .finally(() => batcher.landed(sequenceId));
        });
      });
    return batcher;
  }

  /** `sequence` generates from now on: decodes wait for it. */
  begin(sequence: LlamaContextSequence): void {
    const id = idOf(sequence);
    if (id !== undefined) this.generating.add(id);
  }

  /** `sequence` is done (or failed): decodes no longer wait for it. Idempotent. */
  end(sequence: LlamaContextSequence): void {
    const id = idOf(sequence);
    if (id === undefined || !this.generating.delete(id)) return;
    this.inFlight.delete(id);
    this.check();
  }

  private request(id: number, run: () => void): void {
    if (!this.generating.has(id) || this.held.has(id)) {
      // Not one of ours (or a second request of one sequence): the held ones go first, in order.
      this.release();
      run();
      return;
    }
    this.held.set(id, run);
    this.check();
  }

  private landed(id: number): void {
    if (this.inFlight.delete(id)) this.check();
  }

  /** Releases once every generating sequence asks; else, with none in flight, after this turn. */
  private check(): void {
    if (this.held.size === 0) return;
    if (this.held.size >= this.generating.size) this.release();
    else if (![...this.inFlight].some((id) => !this.held.has(id)))
      this.turn ??= setImmediate(() => this.release());
  }
  private release(): void {
    if (this.turn !== undefined) clearImmediate(this.turn);
    this.turn = undefined;
    if (this.held.size === 0) return;
    const held = this.held;
    this.held = new Map();
    this.releases.set(held.size, (this.releases.get(held.size) ?? 0) + 1);
    for (const id of [...held.keys()].sort((a, b) => a - b)) held.get(id)!();
    // Decode now rather than on node-llama-cpp's next turn (its default schedule): the worker's IPC message with
    // the last token's events, sent on that turn too, then goes out while llama.cpp decodes, not before.
    this.context?.dispatchPendingBatch();
  }
}

/** The id llama.cpp knows `sequence` by (internal to node-llama-cpp 3.x); undefined where it has none. */
function idOf(sequence: LlamaContextSequence): number | undefined {
  const id = (sequence as unknown as { _sequenceId?: unknown })._sequenceId;
  return typeof id === 'number' ? id : undefined;
}
