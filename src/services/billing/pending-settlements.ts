import type { Metrics } from '../../observability/metrics.ts';
import { traced } from '../../observability/tracing.ts';
import type { Settlement } from './meter.ts';

/**
 * The settlements a Meter handed out and that are not settled or released yet (free requests included), so a
 * graceful shutdown can wait for them before closing the store. Each settle or release runs in a span and
 * counts the request's tokens.
 */
export class PendingSettlements {
  private count = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly metrics: Metrics | undefined) {}

  /** `settlement`, counted as pending until its first settle or release ends (even if that fails). */
  track(settlement: Settlement, modelId: string): Settlement {
    this.count += 1;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.count -= 1;
      if (this.count === 0) for (const wake of this.waiting.splice(0)) wake();
    };
    return {
      currency: settlement.currency,
      settle: (usage, cost, status) =>
        traced('billing.settle', async (span) => {
          span?.setAttributes({
            'rialto.model': modelId,
            'rialto.usage.status': status,
            'gen_ai.usage.input_tokens': usage.promptTokens,
            'gen_ai.usage.output_tokens': usage.completionTokens,
          });
          try {
            await settlement.settle(usage, cost, status);
            this.metrics?.tokens(modelId, usage);
          } finally {
            end();
          }
        }),
      release: (status) =>
        traced('billing.release', async (span) => {
          span?.setAttributes({ 'rialto.model': modelId, 'rialto.usage.status': status });
          try {
            await settlement.release(status);
          } finally {
            end();
          }
        }),
    };
  }

  /** Resolves true once none is pending, or false after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<true>((resolve) => this.waiting.push(() => resolve(true))),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return done;
  }
}
