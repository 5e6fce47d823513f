import { VeniceError } from '../errors/venice-error.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's shutdown state and the calls in progress; set by createApp. */
    lifecycle?: ServerLifecycle;
  }
}

/**
 * A graceful shutdown's state. From `drain()` on, /ready answers 503; requests still running at the grace
 * deadline are cut off by `cutOff()`: their engines are aborted with a SHUTTING_DOWN error, so streams end with
 * that error event and pay for what was generated (metered-events.ts).
 */
export class ServerLifecycle {
  private readonly calls = new Set<AbortController>();
  private state: 'serving' | 'draining' | 'cut-off' = 'serving';

  /** False once the shutdown began. */
  get serving(): boolean {
    return this.state === 'serving';
  }

  /** True once open calls were cut off at the deadline. */
  get cutOffReached(): boolean {
    return this.state === 'cut-off';
  }

  /** An engine call began (abort-on-close.ts); `closed` when its response is over. */
  opened(call: AbortController): void {
    this.calls.add(call);
  }

  closed(call: AbortController): void {
    this.calls.delete(call);
  }

  /** The shutdown began: no new work should come here. */
  drain(): void {
    if (this.state === 'serving') this.state = 'draining';
  }

  /** Aborts every call still open; returns how many there were. */
  cutOff(): number {
    this.state = 'cut-off';
    const reason = new VeniceError('SHUTTING_DOWN');
    const count = this.calls.size;
    for (const call of this.calls) call.abort(reason);
    this.calls.clear();
    return count;
  }
}
