/** One server-sent event: its `data` (lines joined by \n) and `event` name, if any. */
export interface ServerSentEvent {
  event?: string;
  data: string;
}

/**
 * Parses a byte stream of server-sent events (WHATWG SSE framing: fields per line, events separated by
 * a blank line, \n, \r\n or \r). llama.cpp's server writes a failure as a line `error: {…}`; that
 * non-standard field is surfaced as an event named `error`.
 */
export async function* parseServerSentEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event: string | undefined;
  const dispatch = function* (): Generator<ServerSentEvent> {
    if (data.length > 0) yield event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') };
    data = [];
    event = undefined;
  };
  for await (const piece of body) {
    buffer += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') { yield* dispatch(); continue; }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'error') { event = 'error'; data.push(value); }
    }
  }
  buffer += decoder.decode();
  if (buffer.startsWith('data:')) data.push(buffer.slice(5).replace(/^ /, ''));
  yield* dispatch();
}
