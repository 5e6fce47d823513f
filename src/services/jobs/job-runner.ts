import type { Logger } from 'pino';
import type { JobsConfig } from '../../config.ts';
import type { JobEngine, JobSubmission } from '../../engines/engine.ts';
import { EngineError } from '../../engines/engine-error.ts';
import type { JobRecord, Store } from '../../storage/store.ts';
import type { Meter } from '../billing/meter.ts';
import type { ModelRegistry } from '../model-registry.ts';
import type { MediaStorage } from './media-storage.ts';

/** What a worker does with a job after one step: look again later, or let it go (finished, or no longer its own). */
export type StepResult = { next: 'again'; afterMs: number } | { next: 'done' };

/** Engine failures worth another try before the deadline: the engine is down, busy or slow. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof EngineError &&
    (error.failure === 'offline' ||
      error.failure === 'overloaded' ||
      error.failure === 'capacity' ||
      error.failure === 'timeout')
  );
}

export function submissionOf(job: JobRecord, engineModel: string): JobSubmission {
  return { kind: job.kind, model: engineModel, request: { ...job.request, model: engineModel } };
}

/**
 * Drives one claimed job a step at a time: submit it to its engine once, then poll it until the engine is
 * done; store the media, charge the quote, or refund it on failure, on the ledger that holds it (jobs.ledger:
 * the key's account, or the signed-in wallet's x402 ledger). Every write is conditional on the
 * worker still holding the job, and money moves before the state does, through calls that act once
 * (ledger settle/release): a worker that dies between the two leaves a job the next worker finishes
 * without charging again.
 */
export class JobRunner {
  private readonly failedPolls = new Map<string, number>();

  constructor(
    private readonly dependencies: {
      store: Store;
      registry: ModelRegistry;
      media: MediaStorage;
      meter: Meter;
      config: JobsConfig;
      logger: Logger;
    },
  ) {}

  private engineOf(job: JobRecord): { engine: JobEngine; engineModel: string } | undefined {
    const entry = this.dependencies.registry.entries.find(
      (candidate) => candidate.config.id === job.modelId,
    );
    if (entry === undefined || entry.engine.modality !== 'job') return undefined;
    return { engine: entry.engine, engineModel: entry.engineModel };
  }

  async step(job: JobRecord, worker: string, signal: AbortSignal): Promise<StepResult> {
    const { store, config } = this.dependencies;
    if (Date.parse(job.deadlineAt) <= Date.now())
      return this.fail(
        job,
        worker,
        'REQUEST_TIMEOUT',
        'The job did not finish before its deadline.',
        false,
      );
    const found = this.engineOf(job);
    if (found === undefined)
      return this.fail(
        job,
        worker,
        'MODEL_NOT_FOUND',
        `Model ${job.modelId} is no longer served.`,
        false,
      );
    const submission = submissionOf(job, found.engineModel);
    const call = { signal };
    if (job.engineJobId === null) {
      let engineJobId: string;
      try {
        ({ engineJobId } = await found.engine.submit(submission, call));
      } catch (error) {
        return signal.aborted ? { next: 'again', afterMs: 0 } : this.afterError(job, worker, error);
      }
      const moved = await store.jobs.update(
        job.id,
        { state: 'PROCESSING', engineJobId, startedAt: new Date().toISOString(), progress: 0 },
        { states: ['QUEUED'], claimedBy: worker },
      );
      if (!moved)
        this.dependencies.logger.warn(
          { job: job.id, engineJobId },
          'job submitted by a worker that had lost it',
        );
      return moved ? { next: 'again', afterMs: config.pollIntervalMs } : { next: 'done' };
    }
    let status;
    try {
      status = await found.engine.poll(submission, job.engineJobId, call);
    } catch (error) {
      // This process is stopping: the job stays as it is for the next worker.
      return signal.aborted ? { next: 'again', afterMs: 0 } : this.afterError(job, worker, error);
    }
    this.failedPolls.delete(job.id);
    if (status.state === 'running') {
      await store.jobs.update(
        job.id,
        { progress: status.progress ?? job.progress },
        { claimedBy: worker },
      );
      return { next: 'again', afterMs: config.pollIntervalMs };
    }
    if (status.state === 'failed')
      return this.fail(
        job,
        worker,
        status.moderation ? 'CONTENT_POLICY_VIOLATION' : 'INFERENCE_FAILED',
        status.reason,
        status.moderation,
      );
    // Stored and recorded on the job before the charge, so a worker that finds the job charged (this one having
    // died just after) knows where its media are and completes it instead of failing it.
    const bytes = await this.dependencies.media.put(job.id, status.media.body);
    const stored = {
      resultKey: job.id,
      resultContentType: status.media.contentType,
      resultBytes: bytes,
    };
    if (!(await store.jobs.update(job.id, stored, { states: ['PROCESSING'], claimedBy: worker })))
      return { next: 'done' };
    const charged = await this.settle(job);
    if (
      !charged &&
      job.reservationId !== null &&
      (await this.stateOf(job, job.reservationId)) === 'released'
    ) {
      // Refunded meanwhile (a worker that had lost the job failed it): its media are not handed out unpaid.
      return this.fail(
        { ...job, ...stored },
        worker,
        'INFERENCE_FAILED',
        'The job was refunded before it finished.',
        false,
      );
    }
    return this.complete(job, worker, call.signal);
  }

  /**
   * Charges the job's quote, once, on the ledger holding it (jobs.ledger): a wallet's CHARGE entry, or the
   * account's usage record; false when it was settled or released before.
   */
  private async settle(job: JobRecord): Promise<boolean> {
    if (job.ledger === 'wallet') {
      // A free job held nothing on the wallet: nothing to charge or record.
      if (job.reservationId === null) return true;
      const settled = await this.dependencies.store.wallets.settle(
        job.reservationId,
        job.quote,
        new Date().toISOString(),
      );
      return settled.applied;
    }
    return this.dependencies.meter.settleDurable(
      { ...job, requestId: job.id, modelType: job.kind },
      job.quote,
    );
  }

  /** Gives the job's hold back on its ledger; false when it was not open. */
  private release(job: JobRecord, reservationId: string, status: string): Promise<boolean> {
    return job.ledger === 'wallet'
      ? this.dependencies.store.wallets.release(reservationId)
      : this.dependencies.meter.releaseDurable(reservationId, status);
  }

  private stateOf(
    job: JobRecord,
    reservationId: string,
  ): Promise<'open' | 'settled' | 'released' | undefined> {
    return job.ledger === 'wallet'
      ? this.dependencies.store.wallets.stateOf(reservationId)
      : this.dependencies.store.ledger.stateOf(reservationId);
  }

  /** Marks a stored, charged job COMPLETED, then frees the engine's copy (best effort). */
  private async complete(job: JobRecord, worker: string, signal: AbortSignal): Promise<StepResult> {
    const completed = await this.dependencies.store.jobs.update(
      job.id,
      { state: 'COMPLETED', progress: 1, completedAt: new Date().toISOString() },
      { states: ['PROCESSING'], claimedBy: worker },
    );
    const found = this.engineOf(job);
    if (completed && found !== undefined && job.engineJobId !== null) {
      await found.engine
        .cleanup(submissionOf(job, found.engineModel), job.engineJobId, { signal })
        .catch(() => undefined);
    }
    return { next: 'done' };
  }

  /** Transient failures are retried with backoff until the deadline; others fail the job (refunded). */
  private async afterError(job: JobRecord, worker: string, error: unknown): Promise<StepResult> {
    if (isTransient(error)) {
      const failures = (this.failedPolls.get(job.id) ?? 0) + 1;
      this.failedPolls.set(job.id, failures);
      this.dependencies.logger.warn(
        { job: job.id, failures, err: error },
        'job engine unavailable; will retry',
      );
      return {
        next: 'again',
        afterMs: Math.min(
          60_000,
          this.dependencies.config.pollIntervalMs * 2 ** Math.min(failures, 6),
        ),
      };
    }
    const moderation = error instanceof EngineError && error.failure === 'content_policy';
    const message = error instanceof Error ? error.message : String(error);
    return this.fail(
      job,
      worker,
      moderation ? 'CONTENT_POLICY_VIOLATION' : 'INFERENCE_FAILED',
      message,
      moderation,
    );
  }

  /**
   * Refunds the job and marks it FAILED. When its quote was already charged (a worker stored its media, charged
   * it, and died before marking it done), the client has paid: it completes with those media instead.
   */
  private async fail(
    job: JobRecord,
    worker: string,
    code: string,
    message: string,
    moderation: boolean,
  ): Promise<StepResult> {
    const { store, media } = this.dependencies;
    this.failedPolls.delete(job.id);
    // Given up (its deadline passed, or its engine failed it): the engine stops it where it can, freeing its GPU.
    const found = job.engineJobId === null ? undefined : this.engineOf(job);
    if (found?.engine.cancel !== undefined && job.engineJobId !== null)
      await found.engine
        .cancel(submissionOf(job, found.engineModel), job.engineJobId)
        .catch(() => undefined);
    let refunded = true;
    if (
      job.reservationId !== null &&
      !(await this.release(
        job,
        job.reservationId,
        moderation ? 'refunded_moderation' : 'refunded_failed',
      ))
    ) {
      const state = await this.stateOf(job, job.reservationId);
      if (state === 'settled' && job.resultKey !== null)
        return this.complete(job, worker, AbortSignal.timeout(30_000));
      refunded = state === 'released';
    }
    if (job.resultKey !== null) await media.delete(job.resultKey);
    // A failed job is never run again: its request (the prompt) goes with it.
    await store.jobs.update(
      job.id,
      {
        request: {},
        state: 'FAILED',
        errorCode: code,
        errorMessage: message,
        refunded,
        completedAt: new Date().toISOString(),
      },
      { states: ['QUEUED', 'PROCESSING'], claimedBy: worker },
    );
    this.dependencies.logger.info({ job: job.id, code }, 'job failed and was refunded');
    return { next: 'done' };
  }
}
