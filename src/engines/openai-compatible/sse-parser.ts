/** One server-sent event: its `data` (lines joined by \n) and `event` name, if any. */
export interface ServerSentEvent {
  event?: string;
  data: string;
}

/**
 * An incremental parser of server-sent events (WHATWG SSE framing: fields per line, events separated by a
 * blank line, \n, \r\n or \r). `push` takes the next piece of the body and returns the events it completed,
 * synchronously: a relay reads a body piece and handles every event in it without a promise per event.
 * llama.cpp's server writes a failure as a line `error: {…}`; that non-standard field is an event named `error`.
 */
export class ServerSentEventParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  /** A \r ended the last piece: a \n opening the next one belongs to it. */
  private skipNewline = false;
  private data: string[] = [];
  private event: string | undefined;

  push(piece: Uint8Array | string): ServerSentEvent[] {
    let text = typeof piece === 'string' ? piece : this.decoder.decode(piece, { stream: true });
    if (this.skipNewline && text.startsWith('\n')) text = text.slice(1);
    this.skipNewline = false;
    const events: ServerSentEvent[] = [];
    const buffer = this.buffer + text;
    let start = 0;
    // Where the next \r is, found once: most servers send none, and scanning for it per line would be quadratic.
    let carriage = buffer.indexOf('\r');
    for (;;) {
      if (carriage !== -1 && carriage < start) carriage = buffer.indexOf('\r', start);
      const newline = buffer.indexOf('\n', start);
      const end =
        carriage === -1 ? newline : newline === -1 ? carriage : Math.min(newline, carriage);
      if (end === -1) break;
      this.line(buffer.slice(start, end), events);
      start = end + 1;
      if (buffer.charCodeAt(end) === 13) {
        if (start === buffer.length) this.skipNewline = true;
        else if (buffer.charCodeAt(start) === 10) start += 1;
      }
    }
    this.buffer = start === 0 ? buffer : buffer.slice(start);
    return events;
  }

  /** The event left when the body ends without its blank line. */
  end(): ServerSentEvent[] {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    if (rest.startsWith('data:')) this.data.push(rest.slice(5).replace(/^ /, ''));
    const events: ServerSentEvent[] = [];
    this.dispatch(events);
    return events;
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    // The common line first: `data: …`.
    if (line.startsWith('data: ')) {
      this.data.push(line.slice(6));
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'error') {
      this.event = 'error';
      this.data.push(value);
    }
  }

  private dispatch(events: ServerSentEvent[]): void {
    if (this.data.length > 0) {
      const [only] = this.data;
      const data = this.data.length === 1 && only !== undefined ? only : this.data.join('\n');
      events.push(this.event === undefined ? { data } : { event: this.event, data });
    }
    this.data = [];
    this.event = undefined;
  }
}

/** The events of a whole body, one at a time (for callers that need no batches). */
export async function* parseServerSentEvents(
  body: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<ServerSentEvent> {
  const parser = new ServerSentEventParser();
  for await (const piece of body) yield* parser.push(piece);
  yield* parser.end();
}
