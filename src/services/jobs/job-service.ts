import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { JobsConfig } from '../../config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { ApiKeyRecord, JobKind, JobLedger, JobRecord, Store } from '../../storage/store.ts';
import type { WalletId } from '../../storage/wallet-store.ts';
import type { Billing } from '../billing/meter.ts';
import { toNanos } from '../billing/money.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';
import type { Cost } from '../pricing.ts';
import type { JobQueue } from './job-queue.ts';
import type { MediaStorage } from './media-storage.ts';
import { ProviderContentPolicyError } from './provider-content-policy-error.ts';
import type { RetrieveJobStatus } from '../../schemas/jobs-response.ts';

export type RetrieveOutcome =
  | { kind: 'status'; body: RetrieveJobStatus }
  | {
      kind: 'media';
      stream: Readable;
      bytes: number;
      contentType: string;
      entry: ModelEntry;
      delivered: () => Promise<void>;
    };

/** How long a stored result stays reserved past the job's deadline before a crashed job's hold is let go. */
const LEASE_MARGIN_MS = 10 * 60_000;
/** A download link works this long after its video is done (video-generation.mdx: "valid for up to 24 hours"). */
const DOWNLOAD_LINK_MS = 24 * 3600_000;

const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Who a job belongs to: an API key's account (its quote on store.ledger), or a SIGN-IN-WITH-X wallet (its quote
 * on the wallet's x402 ledger, store.wallets). Only the owner retrieves or completes it: a job's owner is its
 * ledger and account id together, so a wallet-minted key (account `eip155:<addr>`) does not see its wallet's jobs.
 */
export type JobOwner =
  | { ledger: 'account'; key: ApiKeyRecord }
  | { ledger: 'wallet'; wallet: WalletId };

function ownerIds(owner: JobOwner): { ledger: JobLedger; accountId: string; keyId: string } {
  return owner.ledger === 'account'
    ? { ledger: 'account', accountId: owner.key.accountId, keyId: owner.key.id }
    : // No key: the wallet stands for both.
      { ledger: 'wallet', accountId: owner.wallet, keyId: owner.wallet };
}

/** A queued job, and the token of its download link when its model delivers by download_url (shown once). */
export interface QueuedJob {
  job: JobRecord;
  downloadToken?: string;
}

/** P80 of the last completions seen per model (ms), the spec's `average_execution_time`. */
class ExecutionTimes {
  private readonly byModel = new Map<string, number[]>();

  add(modelId: string, ms: number): void {
    const times = this.byModel.get(modelId) ?? [];
    times.push(ms);
    if (times.length > 50) times.shift();
    this.byModel.set(modelId, times);
  }

  p80(modelId: string, fallback: number): number {
    const times = [...(this.byModel.get(modelId) ?? [])].sort((left, right) => left - right);
    return times.length === 0
      ? fallback
      : times[Math.min(times.length - 1, Math.floor(times.length * 0.8))]!;
  }
}

/**
 * The async job lifecycle behind /video/* and /audio/{quote,queue,retrieve,complete}: the quote is reserved
 * at queue time (durably, until the job's deadline), the job is stored and handed to the workers; retrieve
 * answers its status, its failure (refunded), or its media; complete deletes the media.
 */
export class JobService {
  private readonly times = new ExecutionTimes();

  constructor(
    private readonly dependencies: {
      store: Store;
      registry: ModelRegistry;
      media: MediaStorage;
      queue: JobQueue;
      config: JobsConfig;
    },
  ) {}

  async queue(
    kind: JobKind,
    model: ModelEntry,
    request: Record<string, unknown>,
    quote: Cost,
    owner: JobOwner,
    billing: Billing,
  ): Promise<QueuedJob> {
    const ids = ownerIds(owner);
    const { store, config, queue } = this.dependencies;
    const id = randomUUID();
    // Only its hash is stored: the link is a bearer credential, shown once in the queue answer.
    const downloadToken =
      kind === 'video' && model.config.videoDelivery === 'download_url'
        ? randomBytes(32).toString('base64url')
        : undefined;
    const now = new Date();
    const deadline = new Date(now.getTime() + config.deadlineSeconds * 1000);
    const reservation = await billing.reserveDurable(
      {
        modelId: model.config.id,
        modelType: kind,
        requestId: id,
        limitClass: kind === 'video' ? 'image' : 'audio',
        tokens: 0,
        worstCase: quote,
        privacy: model.config.privacy,
      },
      new Date(deadline.getTime() + LEASE_MARGIN_MS),
    );
    const job: Omit<JobRecord, 'updatedAt'> = {
      id,
      kind,
      modelId: model.config.id,
      accountId: ids.accountId,
      keyId: ids.keyId,
      request: { ...request, model: model.config.id },
      state: 'QUEUED',
      progress: null,
      engineJobId: null,
      resultKey: null,
      resultContentType: null,
      resultBytes: null,
      errorCode: null,
      errorMessage: null,
      refunded: false,
      attempts: 0,
      reservationId: reservation.reservationId,
      // A wallet pays in USD (WalletBilling holds the USD quote); an account in either currency.
      quote: toNanos(ids.ledger === 'wallet' ? quote.usd : Math.max(quote.usd, quote.diem)),
      deleteOnDelivery: false,
      createdAt: now.toISOString(),
      startedAt: null,
      completedAt: null,
      deadlineAt: deadline.toISOString(),
      nextRunAt: now.toISOString(),
      claimedBy: null,
      claimUntil: null,
      downloadTokenHash: downloadToken === undefined ? null : hashOf(downloadToken),
      downloadRevokedAt: null,
      ledger: ids.ledger,
    };
    try {
      await store.jobs.insert(job);
    } catch (error) {
      if (reservation.reservationId !== null) {
        if (ids.ledger === 'wallet') await store.wallets.release(reservation.reservationId);
        else
          await store.ledger.release(reservation.reservationId, 'failed', new Date().toISOString());
      }
      throw error;
    }
    await queue.notify(id);
    return {
      job: { ...job, updatedAt: job.createdAt },
      ...(downloadToken === undefined ? {} : { downloadToken }),
    };
  }

  /**
   * The caller's job of this kind (and model, when the request names one: video-upscaling.mdx retrieves and
   * completes by queue_id alone), or 404 MEDIA_NOT_FOUND (unknown, another account's, deleted).
   */
  private async jobOf(
    kind: JobKind,
    model: string | undefined,
    queueId: string,
    owner: JobOwner,
  ): Promise<JobRecord> {
    const ids = ownerIds(owner);
    const job = await this.dependencies.store.jobs.find(queueId);
    const entry =
      job === undefined || model === undefined ? undefined : this.modelMatches(job, model, kind);
    if (
      job === undefined ||
      entry === false ||
      job.kind !== kind ||
      job.accountId !== ids.accountId ||
      (job.ledger ?? 'account') !== ids.ledger ||
      job.state === 'DELETED'
    )
      throw new VeniceError('MEDIA_NOT_FOUND');
    return job;
  }

  /** Whether the request's model names the job's model (its id, or a trait or alias resolving to it). */
  private modelMatches(job: JobRecord, model: string, kind: JobKind): boolean {
    if (model === job.modelId) return true;
    try {
      return this.dependencies.registry.resolve(model, kind).entry.config.id === job.modelId;
    } catch {
      return false;
    }
  }

  async retrieve(
    kind: JobKind,
    request: { model?: string | undefined; queue_id: string; delete_media_on_completion?: boolean },
    owner: JobOwner,
  ): Promise<RetrieveOutcome> {
    const job = await this.jobOf(kind, request.model, request.queue_id, owner);
    const elapsed =
      (job.completedAt === null ? Date.now() : Date.parse(job.completedAt)) -
      Date.parse(job.startedAt ?? job.createdAt);
    const average = this.times.p80(job.modelId, this.dependencies.config.pollIntervalMs * 5);
    if (job.state === 'QUEUED' || job.state === 'PROCESSING') {
      // Where the engine reports progress (ComfyUI's sampler steps), the estimate is this job's own: elapsed ÷
      // progress, so execution_duration / average_execution_time is how far it has come.
      const progress = job.progress ?? 0;
      const estimate =
        progress > 0 && progress < 1 && elapsed > 0 ? Math.round(elapsed / progress) : average;
      return {
        kind: 'status',
        body: {
          status: 'PROCESSING',
          average_execution_time: estimate,
          execution_duration: Math.max(0, elapsed),
        },
      };
    }
    if (job.state === 'FAILED') {
      if (job.errorCode === 'CONTENT_POLICY_VIOLATION')
        throw new ProviderContentPolicyError(job.refunded);
      // Every other failure, a missed deadline included, is the 500 retrieve documents (swagger lists no 504).
      throw new VeniceError('INFERENCE_FAILED', {
        message: `${job.errorMessage ?? 'The job failed.'}${job.refunded ? ' Credits have been refunded.' : ''}`,
        extra: { credits_refunded: job.refunded },
      });
    }
    // swagger: /video/queue download_url: "When provided, the retrieve endpoint returns JSON status only".
    if (job.downloadTokenHash !== null)
      return {
        kind: 'status',
        body: {
          status: 'COMPLETED',
          average_execution_time: average,
          execution_duration: Math.max(0, elapsed),
        },
      };
    const stored =
      job.resultKey === null ? undefined : await this.dependencies.media.open(job.resultKey);
    if (stored === undefined) throw new VeniceError('MEDIA_NOT_FOUND');
    this.times.add(job.modelId, Math.max(0, elapsed));
    const entry = this.dependencies.registry.entries.find(
      (candidate) => candidate.config.id === job.modelId,
    );
    if (entry === undefined) throw new VeniceError('MEDIA_NOT_FOUND');
    return {
      kind: 'media',
      stream: stored.stream,
      bytes: stored.bytes,
      contentType: job.resultContentType ?? 'application/octet-stream',
      entry,
      delivered: async () => {
        if (request.delete_media_on_completion === true) await this.remove(job);
      },
    };
  }

  /**
   * GET on a download link: the finished video. Unknown tokens, and jobs not (or no longer) holding a video,
   * are 404 MEDIA_NOT_FOUND; a revoked link or one past 24 h after the video was done is 410.
   */
  async download(token: string): Promise<{ stream: Readable; bytes: number; contentType: string }> {
    const job = await this.linkedJob(token);
    if (job.state === 'QUEUED' || job.state === 'PROCESSING') {
      throw new VeniceError('MEDIA_NOT_FOUND', {
        message: 'The video is not ready yet: poll /video/retrieve until its status is COMPLETED.',
      });
    }
    const stored =
      job.state === 'COMPLETED' && job.resultKey !== null
        ? await this.dependencies.media.open(job.resultKey)
        : undefined;
    if (stored === undefined) throw new VeniceError('MEDIA_NOT_FOUND');
    return { ...stored, contentType: job.resultContentType ?? 'video/mp4' };
  }

  /** DELETE on a download link: revokes it (later GETs are 410); the job and its media stay until /video/complete. */
  async revokeDownload(token: string): Promise<{ success: boolean }> {
    const job = await this.linkedJob(token);
    return {
      success: await this.dependencies.store.jobs.update(job.id, {
        downloadRevokedAt: new Date().toISOString(),
      }),
    };
  }

  private async linkedJob(token: string): Promise<JobRecord> {
    const job = await this.dependencies.store.jobs.findByDownloadToken(hashOf(token));
    if (job === undefined) throw new VeniceError('MEDIA_NOT_FOUND');
    const expired =
      job.completedAt !== null && Date.parse(job.completedAt) + DOWNLOAD_LINK_MS < Date.now();
    if (job.downloadRevokedAt !== null || expired) throw new VeniceError('DOWNLOAD_LINK_GONE');
    return job;
  }

  async complete(
    kind: JobKind,
    request: { model?: string | undefined; queue_id: string },
    owner: JobOwner,
  ): Promise<{ success: boolean }> {
    const job = await this.jobOf(kind, request.model, request.queue_id, owner);
    return { success: await this.remove(job) };
  }

  /** Deletes the stored media and the request (its prompt) of a finished job and marks it DELETED; a running job cannot be completed. */
  private async remove(job: JobRecord): Promise<boolean> {
    if (job.state !== 'COMPLETED' && job.state !== 'FAILED') return false;
    if (job.resultKey !== null) await this.dependencies.media.delete(job.resultKey);
    return this.dependencies.store.jobs.update(
      job.id,
      { state: 'DELETED', request: {} },
      { states: ['COMPLETED', 'FAILED'] },
    );
  }
}
