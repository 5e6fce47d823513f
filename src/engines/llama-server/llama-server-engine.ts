import type { Logger } from 'pino';
import {
  openAiCompatibleEngine,
  type LlamaServerEngineConfig,
} from '../../config/engine-config.ts';
import type {
  EngineCall,
  EngineChatEvent,
  EngineChatRequest,
  EngineEmbedRequest,
  EngineEmbedResult,
  EngineLoad,
  TextEngine,
} from '../engine.ts';
import type { ModelOf } from '../engine-kind.ts';
import { EngineError } from '../engine-error.ts';
import { OpenAiCompatibleEngine } from '../openai-compatible/openai-compatible-engine.ts';
import { llamaServerArguments, llamaServerBinary } from './llama-server-arguments.ts';
import { getJson, type Launch, type LaunchedServer } from './llama-server-launch.ts';
import { LlamaServerProcess } from './llama-server-process.ts';

/** How long a refused connection waits for its child's exit before it counts as the child's answer. */
const EXIT_WAIT_MS = 2_000;

/** Whether `server`'s child has exited, or does within `ms`. */
function exits(server: LaunchedServer, ms: number): Promise<boolean> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * A GGUF on llama.cpp's own llama-server, which this engine runs and supervises (llama-server-process.ts). Chat goes
 * through the openai-compatible engine pointed at the child's socket, so it is decoded exactly as any upstream's
 * answer; a new child (after a crash) gets a new socket and a new upstream.
 */
export class LlamaServerEngine implements TextEngine {
  readonly kind = 'llama-server';
  readonly modality = 'text';
  private readonly upstreams = new Map<LaunchedServer, OpenAiCompatibleEngine>();
  private inFlight = 0;

  private readonly supervisor: LlamaServerProcess;

  private constructor(
    private readonly model: ModelOf<LlamaServerEngineConfig>,
    launch: Launch,
    logger: Logger,
  ) {
    this.supervisor = new LlamaServerProcess(
      launch,
      model.id,
      logger,
      (server) => this.attach(server),
      (server) => this.detach(server),
    );
  }

  /** Starts llama-server for `model` and waits until it has loaded it; rejects with the tail of its log when it cannot. */
  static async start(
    model: ModelOf<LlamaServerEngineConfig>,
    modelsDirectory: string,
    logger: Logger,
  ): Promise<{ engine: LlamaServerEngine; contextSize: number }> {
    const binary = await llamaServerBinary(model.engine.binary);
    const launch = {
      binary,
      argumentsFor: (socketPath: string) =>
        llamaServerArguments(model, modelsDirectory, socketPath),
      logger: logger.child({ model: model.id }),
      startTimeoutMs: model.engine.startTimeoutMs,
    };
    const engine = new LlamaServerEngine(model, launch, logger);
    const server = await engine.supervisor.start();
    return { engine, contextSize: server.contextSize };
  }

  /** The child's process id now (undefined while it restarts). */
  get pid(): number | undefined {
    return this.supervisor.current?.child.pid;
  }

  /** The child's socket now (undefined while it restarts), for what asks llama-server itself (tests). */
  get socketPath(): string | undefined {
    return this.supervisor.current?.socketPath;
  }

  async *streamChat(request: EngineChatRequest, call: EngineCall): AsyncGenerator<EngineChatEvent> {
    for await (const batch of this.streamChatBatches(request, call)) yield* batch;
  }

  /**
   * The upstream engine's batches, one read of the child's stream each (TextEngine.streamChatBatches), so the relay
   * takes them without a promise and a generator resume per event, as for any openai-compatible upstream.
   */
  async *streamChatBatches(
    request: EngineChatRequest,
    call: EngineCall,
  ): AsyncGenerator<readonly EngineChatEvent[]> {
    let { server, upstream } = await this.upstream(call.signal);
    this.inFlight += 1;
    try {
      for (let attempt = 1; ; attempt++) {
        let handedOn = false;
        try {
          for await (const batch of upstream.streamChatBatches(request, call)) {
            handedOn = true;
            // The upstream names itself with the child's port; the client sees the kind.
            call.servedBy = this.kind;
            yield batch;
          }
          return;
        } catch (error) {
          // A child that died before Node saw it exit refuses the connection: nothing was sent, so the request
          // waits for the restart like one that arrives after the exit (once).
          const refused = error instanceof EngineError && error.failure === 'offline';
          if (handedOn || attempt > 1 || !refused || !(await exits(server, EXIT_WAIT_MS)))
            throw error;
          ({ server, upstream } = await this.upstream(call.signal));
        }
      }
    } finally {
      this.inFlight -= 1;
    }
  }

  async embed(request: EngineEmbedRequest, call: EngineCall): Promise<EngineEmbedResult> {
    return (await this.upstream(call.signal)).upstream.embed(request, call);
  }

  async countTokens(model: string, text: string): Promise<number> {
    const upstream =
      this.supervisor.current === undefined
        ? undefined
        : this.upstreams.get(this.supervisor.current);
    return upstream === undefined
      ? Math.ceil(Buffer.byteLength(text) / 4)
      : upstream.countTokens(model, text);
  }

  /** Healthy while a child runs and answers /health 200 (a child restarting, or loading, is not). */
  async checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    const server = this.supervisor.current;
    if (server === undefined) return { healthy: false, detail: 'llama-server is restarting' };
    try {
      await getJson(server.dispatcher, '/health', signal);
      return { healthy: true, detail: `llama-server (pid ${server.child.pid}) is ready` };
    } catch (error) {
      return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Requests in flight against the slots: those past the slots wait in llama-server's own queue. */
  load(): EngineLoad {
    const capacity = this.model.engine.sequences;
    return {
      active: Math.min(this.inFlight, capacity),
      queued: Math.max(0, this.inFlight - capacity),
      capacity,
    };
  }

  async close(): Promise<void> {
    await this.supervisor.close();
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.close()));
    this.upstreams.clear();
  }

  private async upstream(
    signal: AbortSignal,
  ): Promise<{ server: LaunchedServer; upstream: OpenAiCompatibleEngine }> {
    const server = await this.supervisor.running(signal);
    const upstream = this.upstreams.get(server);
    if (upstream === undefined) throw new Error('llama-server is running without its upstream');
    return { server, upstream };
  }

  private attach(server: LaunchedServer): void {
    this.upstreams.set(
      server,
      new OpenAiCompatibleEngine(
        openAiCompatibleEngine.parse({
          kind: 'openai-compatible',
          endpoints: [
            { url: 'http://localhost/v1', socketPath: server.socketPath, name: 'llama-server' },
          ],
          model: this.model.id,
          timeoutMs: this.model.engine.timeoutMs,
          // llama-server reads Qwen3-style templates' switch from chat_template_kwargs.
          disableThinking: 'chat_template_kwargs',
        }),
        // llama-server closes the connection after each stream while its Keep-Alive header says otherwise (curl sees
        // it: "Closing connection 0" before the next request; an undici client reusing it at once failed every
        // other request with "other side closed"): its stream's content provider returns false after sink.done(),
        // which cpp-httplib takes for a cancel (tools/server/server-http.cpp; bench/README.md, issue #21).
        { streamsCloseConnection: true },
      ),
    );
  }

  /** A child that ended: its upstream's connections are broken already; close it without waiting. */
  private detach(server: LaunchedServer): void {
    const upstream = this.upstreams.get(server);
    this.upstreams.delete(server);
    upstream?.close().catch(() => undefined);
  }
}
