// Reading an engine's chat events in tests: every event until the end or the error, the text they carry, and
// whether a child process still runs.
import type { EngineChatEvent } from '../../src/engines/engine.ts';

/** Every event `events` yields, and the error that ended them, if one did. */
export async function drain(
  events: AsyncIterable<EngineChatEvent>,
): Promise<{ events: EngineChatEvent[]; error?: unknown }> {
  const seen: EngineChatEvent[] = [];
  try {
    for await (const event of events) seen.push(event);
    return { events: seen };
  } catch (error) {
    return { events: seen, error };
  }
}

/** The content events' text, joined. */
export const text = (events: EngineChatEvent[]): string =>
  events.map((event) => (event.type === 'content' ? event.text : '')).join('');

/** Whether process `pid` still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
