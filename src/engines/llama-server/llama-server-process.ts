import type { Logger } from 'pino';
import { EngineError } from '../engine-error.ts';
import {
  launchLlamaServer,
  stopChild,
  type Launch,
  type LaunchedServer,
} from './llama-server-launch.ts';

/** The restart policy of llama-cpp-process.ts: 250 ms, doubling after each crash in a row up to 30 s; a minute up resets it. */
const FIRST_RESTART_MS = 250;
const LONGEST_RESTART_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

/**
 * One supervised llama-server. When it dies, requests it was serving fail (their connections break), a new one is
 * started after the backoff, and requests arriving meanwhile wait for it, or fail with 'offline' when the restart
 * fails. `onServer` is told of each server that becomes ready (and `onGone` of each that ends), so the engine can
 * point its upstream at the new port.
 */
export class LlamaServerProcess {
  private server: LaunchedServer | undefined;
  private starting: Promise<LaunchedServer> | undefined;
  private crashes = 0;
  private readyAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Ends the backoff wait of a restart now (close: the restart then fails, so nobody waits on it). */
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly launch: Launch,
    private readonly modelId: string,
    private readonly logger: Logger,
    private readonly onServer: (server: LaunchedServer) => void,
    private readonly onGone: (server: LaunchedServer) => void,
  ) {}

  /** Starts the first server; rejects (with the tail of its log) when it cannot load the model. */
  async start(): Promise<LaunchedServer> {
    const starting = launchLlamaServer(this.launch);
    this.starting = starting;
    try {
      const server = await starting;
      this.ready(server);
      return server;
    } finally {
      this.starting = undefined;
    }
  }

  /** The server serving now (undefined while restarting). */
  get current(): LaunchedServer | undefined {
    return this.server;
  }

  /** The running server, waiting for a restart in progress; 'offline' when there is none or it fails. */
  async running(signal: AbortSignal): Promise<LaunchedServer> {
    if (this.server !== undefined) return this.server;
    const starting = this.starting;
    if (this.closed || starting === undefined)
      throw new EngineError('offline', 'llama-server is not running');
    try {
      return await Promise.race([
        starting,
        new Promise<never>((_resolve, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);
    } catch (error) {
      if (signal.aborted)
        throw new EngineError('failed', 'request aborted by the client', {
          cause: error,
          retryable: false,
        });
      throw new EngineError(
        'offline',
        `llama-server could not be restarted: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  /** Stops the server (SIGTERM, SIGKILL after 5 s); no restart follows. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.wake?.();
    const server = this.server ?? (await this.starting?.catch(() => undefined));
    this.server = undefined;
    if (server !== undefined) await stopChild(server.child);
  }

  private ready(server: LaunchedServer): void {
    this.server = server;
    this.readyAt = Date.now();
    this.onServer(server);
    const { child } = server;
    // It may have died between its health answer and now, when no 'exit' is to come.
    if (child.exitCode !== null || child.signalCode !== null)
      this.exited(server, child.signalCode ?? `code ${child.exitCode}`);
    else child.once('exit', (code, signal) => this.exited(server, signal ?? `code ${code}`));
  }

  /** The server ended: unless closing, start another after the backoff. */
  private exited(server: LaunchedServer, reason: string): void {
    if (this.server === server) this.server = undefined;
    this.onGone(server);
    if (this.closed) return;
    if (Date.now() - this.readyAt >= STABLE_AFTER_MS) this.crashes = 0;
    this.logger.error(
      { model: this.modelId, pid: server.child.pid, reason },
      'llama-server exited; restarting it',
    );
    this.restart();
  }

  private restart(): void {
    const delay = Math.min(LONGEST_RESTART_MS, FIRST_RESTART_MS * 2 ** this.crashes);
    this.crashes += 1;
    const attempt = new Promise<void>((resolve) => {
      this.wake = resolve;
      this.restartTimer = setTimeout(resolve, delay);
    }).then(() =>
      this.closed
        ? Promise.reject(new Error('the engine is closed'))
        : launchLlamaServer(this.launch),
    );
    this.starting = attempt;
    attempt.then(
      (server) => {
        this.starting = undefined;
        if (this.closed) {
          void stopChild(server.child);
          return;
        }
        this.ready(server);
        this.logger.warn(
          { model: this.modelId, pid: server.child.pid, socket: server.socketPath },
          'llama-server restarted',
        );
      },
      (error: unknown) => {
        if (this.closed) return;
        this.logger.error(
          { model: this.modelId, err: error },
          'llama-server could not be restarted; trying again',
        );
        this.restart();
      },
    );
  }
}
