import type { EngineCall, EngineChatEvent, EngineUsage } from '../../engines/engine.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { Cost } from '../pricing.ts';
import type { Settlement } from './meter.ts';

/**
 * Passes events through and pays for them. The policy for requests that end early:
 * - the engine reported its usage: charge it (status `completed`), before the usage reaches the client;
 * - the client went away: charge what was generated so far (`call.usage`, status `client_disconnected`);
 * - a graceful shutdown cut the request off at its deadline: the same, status `server_shutdown`;
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
      // Aborted by the client going away, or by a graceful shutdown's deadline (http/lifecycle.ts).
      const cutOff = call.signal.reason instanceof VeniceError && call.signal.reason.code === 'SHUTTING_DOWN';
      const aborted = cutOff ? 'server_shutdown' : 'client_disconnected';
      if (call.signal.aborted && call.usage !== undefined) await settlement.settle(call.usage, price(call.usage), aborted);
      else await settlement.release(call.signal.aborted ? aborted : 'failed');
    }
  }
}
