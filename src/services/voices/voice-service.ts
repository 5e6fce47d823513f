import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { canCloneVoices, type VoiceCloningEngine } from '../../engines/voice-cloning.ts';
import type { EngineCall } from '../../engines/engine.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import { engineFor } from '../../engines/engine-for.ts';
import { invalidRequest } from '../../errors/validation.ts';
import type { VeniceError } from '../../errors/venice-error.ts';
import type { Store } from '../../storage/store.ts';
import type { ClonedVoiceRecord } from '../../storage/voice-store.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';

/** The containers a sample may come in (swagger: MP3, WAV, FLAC, M4A/MP4), told apart by their first bytes. */
export const ACCEPTED_SAMPLE_FORMATS = ['mp3', 'wav', 'flac', 'mp4'] as const;
export type SampleFormat = (typeof ACCEPTED_SAMPLE_FORMATS)[number];

/** swagger: CreateClonedVoiceRequestSchema's default model. */
export const DEFAULT_CLONING_MODEL = 'tts-chatterbox-hd';

/** Chatterbox's own upload cap (voices.py: 10 MB); a larger part is 413 before it is read whole. */
export const MAX_SAMPLE_BYTES = 10 * 1024 * 1024;

/** Expired voices removed per sweep (each a call to the engine). */
const SWEEP_BATCH = 16;

/** The container of `sample` by its magic bytes, or undefined for anything else. */
export function sampleFormatOf(sample: Buffer): SampleFormat | undefined {
  if (sample.length < 12) return undefined;
  const ascii = (start: number, end: number): string => sample.toString('latin1', start, end);
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(4, 8) === 'ftyp') return 'mp4';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame header: 11 sync bits, layer III (bits 01), a bitrate index neither 0000 nor 1111.
  const b0 = sample[0] ?? 0;
  const b1 = sample[1] ?? 0;
  const b2 = sample[2] ?? 0;
  if (
    b0 === 0xff &&
    (b1 & 0xe0) === 0xe0 &&
    (b1 & 0x06) === 0x02 &&
    b2 >> 4 !== 0 &&
    b2 >> 4 !== 15
  )
    return 'mp3';
  return undefined;
}

/** The extension the engine is told (Chatterbox checks it against .mp3 .wav .flac .m4a .ogg). */
const EXTENSION: Record<SampleFormat, string> = {
  mp3: 'mp3',
  wav: 'wav',
  flac: 'flac',
  mp4: 'm4a',
};

function fieldError(field: string, message: string, input: unknown): VeniceError {
  return invalidRequest(new z.ZodError([{ code: 'custom', path: [field], message, input }]));
}

function isSampleRefusal(error: unknown): error is EngineError {
  return (
    error instanceof EngineError &&
    error.failure === 'bad_request' &&
    error.options.upstream === undefined
  );
}

function toClientError(error: unknown): unknown {
  return error instanceof EngineError ? toVeniceError(error, 'file') : error;
}

export interface CreatedVoice {
  id: string;
  model: string;
  entry: ModelEntry;
  servedBy: string;
}

/**
 * POST /audio/voices and the `vv_…` voices of /audio/speech. A voice is a row in the store (handle, owning
 * account, model, the engine's name for it, expiry) and a sample kept by the engine: in a Chatterbox server's voice
 * library, or decoded under Rialto's data folder for sherpa-onnx's zero-shot models (<dataDirectory>/voices). A handle is usable only by the account that made it,
 * only with its model, and only until it expires (the engine's voiceRetentionDays); an expired voice is deleted
 * from the engine and the store when next touched, and by sweepExpired(), which every create runs.
 */
export class VoiceService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The model's engine when it can clone voices, else the 400 of a model that cannot. */
  private cloningEngine(model: string): { entry: ModelEntry; engine: VoiceCloningEngine } {
    const { entry } = this.registry.resolve(model, 'tts');
    const engine = engineFor(entry, 'speech');
    if (!canCloneVoices(engine))
      throw fieldError('model', `Model ${entry.config.id} does not support voice cloning`, model);
    return { entry, engine };
  }

  async create(
    accountId: string,
    request: { model?: string | undefined; file: Buffer },
    signal: AbortSignal,
  ): Promise<CreatedVoice> {
    const { entry, engine } = this.cloningEngine(request.model ?? DEFAULT_CLONING_MODEL);
    const format = sampleFormatOf(request.file);
    if (format === undefined)
      throw fieldError(
        'file',
        `Unsupported audio container; model ${entry.config.id} accepts ${ACCEPTED_SAMPLE_FORMATS.join(', ')}`,
        '[file]',
      );
    await this.sweepExpired(signal);
    const upstreamVoice = `rialto-${randomUUID()}`;
    const call: EngineCall = { signal };
    try {
      await engine.addVoice(upstreamVoice, request.file, EXTENSION[format], call);
    } catch (error) {
      // The engine's own refusal of the sample (it does not decode) is a 400 on `file`, as a wrong container is.
      if (isSampleRefusal(error)) throw fieldError('file', error.message, '[file]');
      throw toClientError(error);
    }
    const created = this.now();
    const days = engine.voiceCloning.retentionDays;
    const record: ClonedVoiceRecord = {
      id: `vv_${randomBytes(16).toString('hex')}`,
      accountId,
      modelId: entry.config.id,
      upstreamVoice,
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + days * 86_400_000).toISOString(),
    };
    try {
      await this.store.voices.insert(record);
    } catch (error) {
      await engine.deleteVoice(upstreamVoice, AbortSignal.timeout(30_000)).catch(() => {});
      throw error;
    }
    return {
      id: record.id,
      model: entry.config.id,
      entry,
      servedBy: call.servedBy ?? engineFor(entry, 'speech').kind,
    };
  }

  /**
   * The engine's name for `handle`, for /audio/speech with `modelId`: a 400 on `voice` when the handle is unknown,
   * another account's, expired, or made with another model.
   */
  async resolve(accountId: string | undefined, modelId: string, handle: string): Promise<string> {
    const record = await this.store.voices.find(handle);
    const gone = `Voice ${handle} does not exist or has expired; upload the sample again to POST /audio/voices`;
    if (record === undefined || record.accountId !== accountId)
      throw fieldError('voice', gone, handle);
    if (record.expiresAt <= this.now().toISOString()) {
      await this.remove(record, AbortSignal.timeout(30_000)).catch(() => {});
      throw fieldError('voice', gone, handle);
    }
    if (record.modelId !== modelId)
      throw fieldError(
        'voice',
        `Voice ${handle} was created with model ${record.modelId}; use it with that model`,
        handle,
      );
    return record.upstreamVoice;
  }

  /** Deletes the caller's voice and its sample (from the engine, then the store); false when there is none. */
  async delete(accountId: string, handle: string, signal: AbortSignal): Promise<boolean> {
    const record = await this.store.voices.find(handle);
    if (record === undefined || record.accountId !== accountId) return false;
    try {
      await this.remove(record, signal);
    } catch (error) {
      throw toClientError(error);
    }
    return true;
  }

  /** Removes voices past their expiry (engine first, so a failure leaves the row to retry). */
  async sweepExpired(signal: AbortSignal): Promise<number> {
    const expired = await this.store.voices.expired(this.now().toISOString(), SWEEP_BATCH);
    let removed = 0;
    for (const record of expired) {
      try {
        await this.remove(record, signal);
        removed += 1;
      } catch {
        // The engine is down: the voice is already unusable (resolve checks expiry); the next sweep retries.
      }
    }
    return removed;
  }

  private async remove(record: ClonedVoiceRecord, signal: AbortSignal): Promise<void> {
    const engine = this.engineOf(record.modelId);
    if (engine !== undefined) await engine.deleteVoice(record.upstreamVoice, signal);
    await this.store.voices.delete(record.id);
  }

  private engineOf(modelId: string): VoiceCloningEngine | undefined {
    try {
      return this.cloningEngine(modelId).engine;
    } catch {
      return undefined;
    }
  }
}
