import { z } from 'zod';
import { fieldsOf } from '../upstream/upstream-answer.ts';
import type { UpstreamEndpoint } from '../upstream/upstream-pool.ts';

/** How often a queued, abandoned job is looked at until it starts (then it is interrupted). */
const POLL_MS = 500;
/** The most a single progress or interrupt call may take. */
const CALL_TIMEOUT_MS = 5000;

type TaskState = 'active' | 'queued' | 'gone' | 'unknown';

/** modules/progress.py ProgressResponse: just what says where the task stands. */
const progressAnswer = z.object({ active: z.boolean(), queued: z.unknown().optional() });

/**
 * Stops A1111 jobs whose client went away (or timed out). A1111 runs one job at a time and
 * POST /sdapi/v1/interrupt stops whichever job runs now, so it is sent only when the abandoned job is the
 * running one: POST /internal/progress {id_task} (modules/progress.py) says whether the task (sent as
 * force_task_id) is active, queued or neither. A queued job is watched until it starts, for at most
 * `patienceMs`. A server without /internal/progress (forks) is interrupted only when this engine has no
 * other job on it, since only then the running job is surely the abandoned one.
 */
export class TaskInterrupter {
  private closed = false;

  constructor(private readonly patienceMs: number) {}

  /** Never throws; resolves when the job was interrupted, finished, or given up on. */
  async interrupt(
    endpoint: UpstreamEndpoint,
    taskId: string,
    aloneOnEndpoint: () => boolean,
  ): Promise<void> {
    const deadline = Date.now() + this.patienceMs;
    while (!this.closed) {
      const state = await this.stateOf(endpoint, taskId);
      if (state === 'active' || (state === 'unknown' && aloneOnEndpoint())) {
        await this.call(endpoint, '/sdapi/v1/interrupt', {});
        return;
      }
      if (state !== 'queued' || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS).unref());
    }
  }

  private async stateOf(endpoint: UpstreamEndpoint, taskId: string): Promise<TaskState> {
    const answer = await this.call(endpoint, '/internal/progress', {
      id_task: taskId,
      id_live_preview: -1,
      live_preview: false,
    });
    const progress = fieldsOf(progressAnswer, answer);
    if (progress === undefined) return 'unknown';
    return progress.active ? 'active' : progress.queued === true ? 'queued' : 'gone';
  }

  /** POSTs JSON; the parsed answer of a 2xx, else undefined. */
  private async call(endpoint: UpstreamEndpoint, path: string, body: unknown): Promise<unknown> {
    try {
      const response = await endpoint.pool.request({
        method: 'POST',
        path: `${endpoint.basePath}${path}`,
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...endpoint.authorization },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump();
        return undefined;
      }
      return await response.body.json();
    } catch {
      return undefined;
    }
  }

  /** Stops watching queued jobs (the engine is closing). */
  close(): void {
    this.closed = true;
  }
}
