/** One server-sent event: its `data` (lines joined by \n) and `event` name, if any. */
export interface ServerSentEvent {
  event?: string;
  data: string;
}

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** `data: `, the line nearly every event is. */
const DATA_FIELD = Buffer.from('data: ');
/** UTF-8's byte order mark, dropped at the start of the stream (WHATWG SSE: "one leading U+FEFF"). */
const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * An incremental parser of server-sent events (WHATWG SSE framing: fields per line, events separated by a
 * blank line, \n, \r\n or \r). `push` takes the next piece of the body and returns the events it completed,
 * synchronously: a relay reads a body piece and handles every event in it without a promise per event.
 * It works on the bytes: lines are found in the piece itself and only a data line's value becomes a string (a
 * line break is never inside a UTF-8 character, so a line decodes whole), with no decoder per stream and no copy
 * of the piece as text; only the bytes of an unfinished line are kept (copied) for the next piece.
 * llama.cpp's server writes a failure as a line `error: {…}`; that non-standard field is an event named `error`.
 */
export class ServerSentEventParser {
  /** The start of a line the last piece did not finish (or of a byte order mark not yet whole). */
  private rest: Buffer | undefined;
  private started = false;
  /** A \r ended the last piece: a \n opening the next one belongs to it. */
  private skipNewline = false;
  /** The event's data lines so far, joined by \n; none yet when undefined. */
  private data: string | undefined;
  private event: string | undefined;

  push(piece: Uint8Array | string): ServerSentEvent[] {
    let bytes =
      typeof piece === 'string'
        ? Buffer.from(piece)
        : Buffer.isBuffer(piece)
          ? piece
          : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (this.rest !== undefined) {
      bytes = Buffer.concat([this.rest, bytes]);
      this.rest = undefined;
    }
    let start = 0;
    if (!this.started) {
      if (
        bytes.length < BYTE_ORDER_MARK.length &&
        BYTE_ORDER_MARK.subarray(0, bytes.length).equals(bytes)
      ) {
        this.rest = Buffer.from(bytes);
        return [];
      }
      this.started = true;
      if (bytes.subarray(0, BYTE_ORDER_MARK.length).equals(BYTE_ORDER_MARK))
        start = BYTE_ORDER_MARK.length;
    }
    if (this.skipNewline && bytes[start] === LINE_FEED) start += 1;
    this.skipNewline = false;
    const events: ServerSentEvent[] = [];
    // Where the next \r is, found once: most servers send none, and scanning for it per line would be quadratic.
    let carriage = bytes.indexOf(CARRIAGE_RETURN, start);
    for (;;) {
      if (carriage !== -1 && carriage < start) carriage = bytes.indexOf(CARRIAGE_RETURN, start);
      const newline = bytes.indexOf(LINE_FEED, start);
      const end =
        carriage === -1 ? newline : newline === -1 ? carriage : Math.min(newline, carriage);
      if (end === -1) break;
      this.line(bytes, start, end, events);
      start = end + 1;
      if (bytes[end] === CARRIAGE_RETURN) {
        if (start === bytes.length) this.skipNewline = true;
        else if (bytes[start] === LINE_FEED) start += 1;
      }
    }
    if (start < bytes.length) this.rest = Buffer.from(bytes.subarray(start));
    return events;
  }

  /** The event left when the body ends without its blank line. */
  end(): ServerSentEvent[] {
    const rest = this.rest?.toString('utf8') ?? '';
    this.rest = undefined;
    if (rest.startsWith('data:')) this.addData(rest.slice(5).replace(/^ /, ''));
    const events: ServerSentEvent[] = [];
    this.dispatch(events);
    return events;
  }

  private line(bytes: Buffer, start: number, end: number, events: ServerSentEvent[]): void {
    if (start === end) {
      this.dispatch(events);
      return;
    }
    // The common line first: `data: …`, its value decoded straight from the piece.
    if (
      end - start >= DATA_FIELD.length &&
      bytes.compare(DATA_FIELD, 0, DATA_FIELD.length, start, start + DATA_FIELD.length) === 0
    ) {
      this.addData(bytes.toString('utf8', start + DATA_FIELD.length, end));
      return;
    }
    const line = bytes.toString('utf8', start, end);
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.addData(value);
    else if (field === 'event') this.event = value;
    else if (field === 'error') {
      this.event = 'error';
      this.addData(value);
    }
  }

  private addData(value: string): void {
    this.data = this.data === undefined ? value : `${this.data}\n${value}`;
  }

  private dispatch(events: ServerSentEvent[]): void {
    if (this.data !== undefined)
      events.push(
        this.event === undefined ? { data: this.data } : { event: this.event, data: this.data },
      );
    this.data = undefined;
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
