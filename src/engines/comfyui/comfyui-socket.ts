import WebSocket from 'ws';
import type { UpstreamEndpoint } from '../upstream/upstream-pool.ts';

/** The largest WebSocket message read (binary previews included); a bigger one closes the socket (then /history). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How long a submission waits for the socket to open before it queues the prompt anyway. */
const OPEN_WAIT_MS = 3000;

/** ws://host/base/ws?clientId=… for an endpoint's http(s) URL. */
function socketUrl(endpoint: UpstreamEndpoint, clientId: string): string {
  const url = new URL(endpoint.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${endpoint.basePath}/ws`;
  url.search = new URLSearchParams({ clientId }).toString();
  url.username = '';
  url.password = '';
  return url.toString();
}

/**
 * ComfyUI's /ws?clientId= for one client id on one endpoint. ComfyUI sends a prompt's events only to the socket
 * of its client id connected at that moment, so it is opened before the prompt is queued; text messages that
 * arrive before anyone listens are kept (a few hundred at most) and handed to the first listener.
 */
export class PromptSocket {
  private socket: WebSocket;
  private up = false;
  private kept: string[] = [];
  private listener: ((text: string) => void) | undefined;
  private onDown: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly endpoint: UpstreamEndpoint,
    private readonly clientId: string,
  ) {
    this.socket = this.connect();
  }

  /** Whether the socket is open now. */
  get open(): boolean {
    return this.up;
  }

  /** Resolves once open, failed, or after a short wait (never rejects). */
  ready(): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, OPEN_WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.once('open', done);
      this.socket.once('close', done);
    });
  }

  /** Hands every text message (kept ones first) to `listener`; `onDown` when the socket closes. */
  listen(listener: (text: string) => void, onDown: () => void): void {
    this.listener = listener;
    this.onDown = onDown;
    for (const text of this.kept.splice(0)) listener(text);
  }

  /** Opens a new socket after the old one closed (ComfyUI came back); `onUp` once it is open. */
  reconnect(onUp: () => void): void {
    if (this.closed || this.up) return;
    this.drop();
    this.socket = this.connect();
    this.socket.once('open', onUp);
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  private connect(): WebSocket {
    const socket = new WebSocket(socketUrl(this.endpoint, this.clientId), {
      headers: this.endpoint.authorization,
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: 5000,
    });
    socket.on('open', () => {
      this.up = true;
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (this.listener !== undefined) this.listener(text);
      else if (this.kept.length < 512) this.kept.push(text);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.up = false;
      this.onDown?.();
    });
    return socket;
  }

  private drop(): void {
    this.up = false;
    this.socket.removeAllListeners();
    this.socket.on('error', () => undefined);
    this.socket.terminate();
  }
}
