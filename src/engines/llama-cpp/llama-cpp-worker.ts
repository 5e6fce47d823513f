// The entry point of an isolated llama.cpp process (engine isolation: process): it loads one model with the
// in-process engine and serves the server's requests over IPC (llama-cpp-messages.ts). It exits when the server
// closes it or goes away (the IPC channel closes), so it never outlives the server.
import type { EngineCall, EngineChatEvent, EngineUsage } from '../engine.ts';
import type { LlamaCppEngine } from './llama-cpp-engine.ts';
import {
  serializeError,
  type CallEvents,
  type ParentMessage,
  type WorkerMessage,
  type WorkerRequest,
} from './llama-cpp-messages.ts';
import { LlamaCppRuntime } from './llama-cpp-runtime.ts';

function post(message: WorkerMessage): void {
  // The channel may already be closed (the server is gone); the 'disconnect' handler ends this process then.
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

/**
 * Chat events wait here for the end of the tick, so that one IPC message carries every call's tokens of a batch
 * decode (and a call's burst) instead of one message a token; any other message sends them first, keeping order.
 */
let outbox = new Map<number, CallEvents>();

function flush(): void {
  if (outbox.size === 0) return;
  const calls = [...outbox.values()];
  outbox = new Map();
  post({ type: 'events', calls });
}

function sendEvent(id: number, event: EngineChatEvent, usage: EngineUsage | undefined): void {
  if (outbox.size === 0) setImmediate(flush);
  const pending = outbox.get(id);
  if (pending === undefined) outbox.set(id, { id, events: [event], usage });
  else {
    pending.events.push(event);
    pending.usage = usage;
  }
}

function send(message: WorkerMessage): void {
  flush();
  post(message);
}

const runtime = new LlamaCppRuntime({
  warn: (_fields, message) => send({ type: 'log', level: 'warn', message }),
  error: (_fields, message) => send({ type: 'log', level: 'error', message }),
});
let engine: LlamaCppEngine | undefined;
const calls = new Map<number, AbortController>();

async function serve(message: WorkerRequest, loaded: LlamaCppEngine): Promise<void> {
  const controller = new AbortController();
  calls.set(message.id, controller);
  const call: EngineCall = { signal: controller.signal };
  try {
    let value: unknown;
    if (message.type === 'chat') {
      for await (const event of loaded.streamChat(message.request, call))
        sendEvent(message.id, event, call.usage);
    } else if (message.type === 'embed') value = await loaded.embed(message.request, call);
    else if (message.type === 'count') value = await loaded.countTokens('', message.text);
    else value = await loaded.checkHealth();
    send({ type: 'done', id: message.id, value });
  } catch (error) {
    send({ type: 'failed', id: message.id, error: serializeError(error), usage: call.usage });
  } finally {
    calls.delete(message.id);
  }
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'load':
      try {
        engine = await runtime.loadEngine(message.model, message.path);
        send({ type: 'ready', contextSize: engine.contextSize, threads: engine.threads });
      } catch (error) {
        send({
          type: 'load-failed',
          message: error instanceof Error ? error.message : String(error),
        });
        process.disconnect();
      }
      return;
    case 'abort':
      calls.get(message.id)?.abort(new Error('client disconnected'));
      return;
    case 'close':
      for (const controller of calls.values()) controller.abort(new Error('engine closing'));
      await engine?.close().catch(() => undefined);
      await runtime.close().catch(() => undefined);
      process.exit(0);
      return;
    default:
      if (engine === undefined)
        send({
          type: 'failed',
          id: message.id,
          error: { failure: 'offline', message: 'the model is not loaded yet' },
          usage: undefined,
        });
      else await serve(message, engine);
  }
}

process.on('message', (message: ParentMessage) => void handle(message));
process.on('disconnect', () => process.exit(0));
