import type { EngineCall, EngineChatEvent, EngineUsage } from '../../engines/engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { Cost } from '../pricing.ts';
import type { Settlement } from './meter.ts';

/**
 * Pays for one call's events. The policy for requests that end early:
 * - the engine reported its usage: charge it (status `completed`), before the usage reaches the client;
 * - the client went away: charge what was generated so far (`call.usage`, status `client_disconnected`);
 * - a graceful shutdown cut the request off at its deadline: the same, status `server_shutdown`;
 * - the engine failed: charge nothing (the failure is the server's), status `failed`.
 * `close` runs however the stream ends; the reservation ends settled or released exactly once.
 */
export class Metering {
  private closed = false;

  constructor(
    private readonly settlement: Settlement,
    private readonly call: EngineCall,
    private readonly price: (usage: EngineUsage) => Cost,
  ) {}

  /** Settles to the engine's usage: call it before the usage event goes on. */
  async completed(usage: EngineUsage): Promise<void> {
    this.closed = true;
    await this.settlement.settle(usage, this.price(usage), 'completed');
  }

  /** Ends a stream that did not complete: charges what was generated if it was cut off, else releases. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { call } = this;
    // Aborted by the client going away, or by a graceful shutdown's deadline (http/lifecycle.ts).
    const cutOff =
      call.signal.reason instanceof VeniceError && call.signal.reason.code === 'SHUTTING_DOWN';
    const aborted = cutOff ? 'server_shutdown' : 'client_disconnected';
    if (call.signal.aborted && call.usage !== undefined)
      await this.settlement.settle(call.usage, this.price(call.usage), aborted);
    else await this.settlement.release(call.signal.aborted ? aborted : 'failed');
  }
}

/** Passes events through and pays for them (Metering's policy). */
export async function* meteredEvents(
  events: AsyncIterable<EngineChatEvent>,
  settlement: Settlement,
  call: EngineCall,
  price: (usage: EngineUsage) => Cost,
): AsyncGenerator<EngineChatEvent> {
  const metering = new Metering(settlement, call, price);
  try {
    for await (const event of events) {
      if (event.type === 'usage') await metering.completed(event.usage);
      yield event;
    }
  } finally {
    await metering.close();
  }
}
