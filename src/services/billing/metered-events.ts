import type { EngineCall, EngineChatEvent, EngineUsage } from '../../engines/engine.ts';
import type { Cost } from '../pricing.ts';
import type { Settlement } from './meter.ts';

/**
 * Passes events through and pays for them. The policy for requests that end early:
 * - the engine reported its usage: charge it (status `completed`), before the usage reaches the client;
 * - the client went away: charge what was generated so far (`call.usage`, status `client_disconnected`);
 * - the engine failed: charge nothing (the failure is the server's), status `failed`.
 * Whatever happens, the reservation ends settled or released exactly once.
 */
export async function* meteredEvents(
  events: AsyncIterable<EngineChatEvent>,
  settlement: Settlement,
  call: EngineCall,
  price: (usage: EngineUsage) => Cost,
): AsyncGenerator<EngineChatEvent> {
  let closed = false;
  try {
    for await (const event of events) {
      if (event.type === 'usage') {
        closed = true;
        await settlement.settle(event.usage, price(event.usage), 'completed');
      }
      yield event;
    }
  } finally {
    if (!closed) {
      if (call.signal.aborted && call.usage !== undefined) await settlement.settle(call.usage, price(call.usage), 'client_disconnected');
      else await settlement.release(call.signal.aborted ? 'client_disconnected' : 'failed');
    }
  }
}
