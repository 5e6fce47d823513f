/**
 * The baseline of engine-overhead.ts: node-llama-cpp called directly, in a process of its own (so it shares an event
 * loop with neither the bench nor Rialto), on the GGUF, context size, sequences and threads Rialto gets.
 *
 *   node --import tsx bench/bare-llama.ts MODEL_PATH CONTEXT_SIZE SEQUENCES THREADS      (with an IPC channel)
 *
 * Sends { type: 'ready' } once the model and its context are loaded. Each { type: 'run' } message runs `concurrency`
 * chats at once, each on a context sequence of its own (node-llama-cpp batches them, as in Rialto), and answers
 * { type: 'result' } with the wall time and, per chat, its tokens and time to first token; past SEQUENCES concurrent chats,
 * the others wait for a sequence in arrival order, as in Rialto's SequencePool. What a chat does is what
 * Rialto's engine does for the same request (src/engines/llama-cpp/llama-cpp-engine.ts): a new LlamaChat on the
 * sequence, the history [user message, empty model turn], generateResponse with maxTokens and temperature 0. The chat
 * wrapper is resolved once, as Rialto does: LlamaChat's default ('auto') resolves it for every chat, which took
 * ~300 ms a request with this GGUF's template and would make the baseline, not Rialto, the slow side.
 * With BENCH_BARE_BATCHER=1 it also batches decodes as Rialto's engine does (src/engines/llama-cpp/decode-batcher.ts:
 * every generating sequence in each decode, in id order), so Rialto ÷ bare is then Rialto's overhead alone; without it,
 * node-llama-cpp schedules its decodes itself.
 * Exits when the channel closes (the bench ended, however it ended).
 */
import {
  getLlama,
  LlamaChat,
  LlamaLogLevel,
  resolveChatWrapper,
  type ChatHistoryItem,
  type LlamaContextSequence,
} from 'node-llama-cpp';
import { DecodeBatcher } from '../src/engines/llama-cpp/decode-batcher.ts';

export interface RunMessage {
  type: 'run';
  concurrency: number;
  prompt: string;
  maxTokens: number;
}
export interface BareAnswer {
  completionTokens: number;
  stopReason: string;
  text: string;
  ttftMs: number;
}
export type BareMessage =
  | { type: 'ready' }
  | { type: 'result'; seconds: number; answers: BareAnswer[] }
  | { type: 'error'; message: string };

const [modelPath, contextSize, sequences, threads] = process.argv.slice(2);
if (modelPath === undefined || process.send === undefined)
  throw new Error(
    'usage: bare-llama.ts MODEL_PATH CONTEXT_SIZE SEQUENCES THREADS, with an IPC channel',
  );
const send = (message: BareMessage): void => {
  process.send?.(message);
};

const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({
  contextSize: Number(contextSize),
  sequences: Number(sequences),
  threads: Number(threads),
});
const batcher = process.env.BENCH_BARE_BATCHER === '1' ? DecodeBatcher.attach(context) : undefined;
const chatWrapper = resolveChatWrapper(model);
const idle = Array.from({ length: context.sequencesLeft }, () => context.getSequence());
const waiting: ((sequence: LlamaContextSequence) => void)[] = [];
const acquire = (): Promise<LlamaContextSequence> => {
  const sequence = idle.pop();
  return sequence === undefined
    ? new Promise((resolve) => waiting.push(resolve))
    : Promise.resolve(sequence);
};
const release = (sequence: LlamaContextSequence): void => {
  const next = waiting.shift();
  if (next === undefined) idle.push(sequence);
  else next(sequence);
};

async function chat(prompt: string, maxTokens: number, started: bigint): Promise<BareAnswer> {
  const sequence = await acquire();
  const llamaChat = new LlamaChat({
    contextSequence: sequence,
    autoDisposeSequence: false,
    chatWrapper,
  });
  const history: ChatHistoryItem[] = [
    { type: 'user', text: prompt },
    { type: 'model', response: [] },
  ];
  let completionTokens = 0;
  let ttftMs = Number.NaN;
  batcher?.begin(sequence);
  try {
    const result = await llamaChat.generateResponse(history, {
      maxTokens,
      temperature: 0,
      onToken: (tokens) => {
        completionTokens += tokens.length;
      },
      onTextChunk: () => {
        if (Number.isNaN(ttftMs)) ttftMs = Number(process.hrtime.bigint() - started) / 1e6;
      },
    });
    return {
      completionTokens,
      stopReason: result.metadata.stopReason,
      text: result.response,
      ttftMs,
    };
  } finally {
    batcher?.end(sequence);
    llamaChat.dispose({ disposeSequence: false });
    release(sequence);
  }
}

process.on('message', (message: RunMessage) => {
  const started = process.hrtime.bigint();
  Promise.all(
    Array.from({ length: message.concurrency }, () =>
      chat(message.prompt, message.maxTokens, started),
    ),
  )
    .then((answers) =>
      send({ type: 'result', seconds: Number(process.hrtime.bigint() - started) / 1e9, answers }),
    )
    .catch((error: unknown) =>
      send({ type: 'error', message: (error as Error).stack ?? String(error) }),
    );
});
process.once('disconnect', () => process.exit(0));
send({ type: 'ready' });
