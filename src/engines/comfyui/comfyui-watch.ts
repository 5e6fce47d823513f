import type { EngineCall } from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { networkError } from '../upstream/network-error.ts';
import { fieldsOf, parseAnswer } from '../upstream/upstream-answer.ts';
import type { ComfyUiClient, PromptOutputs, QueuedPrompt } from './comfyui-client.ts';
import { executionFailure, interruptedFailure } from './comfyui-errors.ts';
import { PromptSocket } from './comfyui-socket.ts';
import {
  type HistoryEntry,
  historyAnswer,
  progressData,
  promptEvent,
  socketMessage,
} from './comfyui-wire.ts';

/** Where a prompt stands: waiting (its place in the queue), running, finished, failed, or unknown to the server. */
export type PromptState =
  | { state: 'pending'; position: number }
  | { state: 'running' }
  | { state: 'done'; outputs: PromptOutputs }
  | { state: 'failed'; error: EngineError }
  /** Neither queued, running nor in the history: the server restarted and forgot it (ComfyUI keeps both in memory). */
  | { state: 'lost' };

/** A sampler's step (`progress`: value of max) of the node running now. */
export type ProgressListener = (progress: { node?: string; value: number; max: number }) => void;

/** While the socket is up, /history is still read this many poll intervals apart, for events the socket missed. */
const SAFETY_POLLS = 5;

/** A finished history entry as a state: `status_str` error with its execution_error or execution_interrupted. */
function finishedState(entry: HistoryEntry, label: string): PromptState {
  if (entry.status?.status_str !== 'error')
    return { state: 'done', outputs: entry.outputs as PromptOutputs };
  const messages = entry.status.messages;
  const error = messages.find(([type]) => type === 'execution_error');
  if (error !== undefined) return { state: 'failed', error: executionFailure(error[1], label) };
  return { state: 'failed', error: interruptedFailure(label) };
}

/** /history/{id}, then /queue: what the server knows of the prompt now. Network failures reject. */
export async function promptState(
  client: ComfyUiClient,
  prompt: QueuedPrompt,
  call: EngineCall,
): Promise<PromptState> {
  const { endpoint, promptId } = prompt;
  const history = fieldsOf(historyAnswer, await client.history(endpoint, promptId, call));
  const entry = history?.[promptId];
  if (entry !== undefined) return finishedState(entry, endpoint.label);
  const queue = await client.queue(endpoint, call);
  if (queue.running.includes(promptId)) return { state: 'running' };
  const position = queue.pending.indexOf(promptId);
  if (position >= 0) return { state: 'pending', position };
  // The history is written before the prompt leaves queue_running, under one lock; read once more to be sure.
  const again = fieldsOf(historyAnswer, await client.history(endpoint, promptId, call));
  const late = again?.[promptId];
  return late === undefined ? { state: 'lost' } : finishedState(late, endpoint.label);
}

/**
 * Follows one prompt to its end: `progress` events reach `onProgress`; `execution_success` (or `executing` with
 * node null, as servers before 2024 end) sends it to /history for the outputs; `execution_error` and
 * `execution_interrupted` fail it at once. While the socket is down (ComfyUI restarting) /history and /queue are
 * polled every `pollMs` and the socket reopened; a prompt the server no longer knows (twice) fails.
 */
export function watchPrompt(
  client: ComfyUiClient,
  prompt: QueuedPrompt,
  clientId: string,
  call: EngineCall,
  options: { deadline: number; onProgress?: ProgressListener; pollMs: number },
): Promise<PromptOutputs> {
  const { endpoint, promptId } = prompt;
  return new Promise<PromptOutputs>((resolve, reject) => {
    const socket = prompt.socket ?? new PromptSocket(endpoint, clientId);
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let checking = false;
    let lostCount = 0;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(deadline);
      call.signal.removeEventListener('abort', onAbort);
      socket.close();
      outcome();
    };
    const fail = (error: EngineError): void => finish(() => reject(error));
    const onAbort = (): void => fail(networkError(call.signal.reason, endpoint.label, call));
    const schedule = (delay: number): void => {
      clearTimeout(timer);
      if (!settled) timer = setTimeout(() => void check(), delay);
    };
    const check = async (): Promise<void> => {
      if (settled || checking) return;
      checking = true;
      try {
        const state = await promptState(client, prompt, call);
        if (state.state === 'done') finish(() => resolve(state.outputs));
        else if (state.state === 'failed') fail(state.error);
        else if (state.state === 'lost' && ++lostCount >= 2)
          fail(
            new EngineError('failed', `ComfyUI ${endpoint.label} no longer knows the prompt`, {
              status: 502,
              retryable: false,
            }),
          );
        else if (state.state !== 'lost') lostCount = 0;
      } catch {
        // Unreachable while it restarts: keep polling until the deadline.
      } finally {
        checking = false;
      }
      if (settled) return;
      socket.reconnect(() => schedule(0));
      schedule(socket.open ? options.pollMs * SAFETY_POLLS : options.pollMs);
    };
    const onMessage = (text: string): void => {
      const message = fieldsOf(socketMessage, parseAnswer(text));
      if (message === undefined || fieldsOf(promptEvent, message.data)?.prompt_id !== promptId)
        return;
      if (message.type === 'progress') {
        const progress = fieldsOf(progressData, message.data);
        if (progress !== undefined) options.onProgress?.(progress);
      } else if (message.type === 'execution_error')
        fail(executionFailure(message.data, endpoint.label));
      else if (message.type === 'execution_interrupted') fail(interruptedFailure(endpoint.label));
      else if (
        message.type === 'execution_success' ||
        (message.type === 'executing' && isNullNode(message.data))
      )
        schedule(0);
    };
    const deadline = setTimeout(
      () =>
        fail(
          new EngineError('timeout', `ComfyUI ${endpoint.label} did not finish in time`, {
            retryable: false,
          }),
        ),
      Math.max(0, options.deadline - Date.now()),
    );
    if (call.signal.aborted) return onAbort();
    call.signal.addEventListener('abort', onAbort, { once: true });
    socket.listen(onMessage, () => schedule(options.pollMs));
    schedule(socket.open ? options.pollMs * SAFETY_POLLS : options.pollMs);
  });
}

function isNullNode(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'node' in data && data.node === null;
}
