// Polls a health URL every 100 ms while an attack runs, and keeps every poll that failed or took longer than the
// bound: a server that keeps serving others while it handles hostile input answers every one of them in time.

export interface WatchdogReport {
  polls: number;
  /** Polls that failed or answered past the bound: when (ms since start) and how long, or why. */
  late: { atMs: number; ms?: number; error?: string }[];
  summary: { polls: number; maxMs: number; p50Ms: number; p99Ms: number };
}

const INTERVAL_MS = 100;

export class HealthWatchdog {
  private readonly latencies: number[] = [];
  private readonly late: WatchdogReport['late'] = [];
  private readonly started = performance.now();
  private attempts = 0;
  private running = true;
  private paused = false;
  /** Counts the test's own work set aside: a poll that overlapped some is not judged. */
  private asides = 0;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly boundMs: number,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.paused) {
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
        continue;
      }
      const start = performance.now();
      const asides = this.asides;
      this.attempts += 1;
      try {
        const response = await fetch(this.url, { signal: AbortSignal.timeout(this.boundMs) });
        await response.arrayBuffer();
        const ms = performance.now() - start;
        if (asides !== this.asides || this.paused) continue;
        this.latencies.push(ms);
        if (response.status !== 200)
          this.late.push({
            atMs: Math.round(start - this.started),
            error: `status ${response.status}`,
          });
        else if (ms > this.boundMs)
          this.late.push({ atMs: Math.round(start - this.started), ms: Math.round(ms) });
      } catch (error) {
        if (asides !== this.asides || this.paused) continue;
        this.late.push({
          atMs: Math.round(start - this.started),
          error: error instanceof Error ? error.name : String(error),
        });
      }
      const elapsed = performance.now() - start;
      if (this.running && elapsed < INTERVAL_MS)
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS - elapsed));
    }
  }

  /**
   * Runs `work` of the test's own (building a bomb) with the polls stopped: the test shares the server's process,
   * so its CPU would count against the server. A poll that overlapped it is not judged.
   */
  async aside<T>(work: () => Promise<T>): Promise<T> {
    this.paused = true;
    this.asides += 1;
    try {
      return await work();
    } finally {
      this.paused = false;
      this.asides += 1;
    }
  }

  report(): WatchdogReport {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (share: number): number =>
      Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0);
    return {
      polls: this.attempts,
      late: [...this.late],
      summary: {
        polls: sorted.length,
        maxMs: Math.round(sorted.at(-1) ?? 0),
        p50Ms: at(0.5),
        p99Ms: at(0.99),
      },
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
