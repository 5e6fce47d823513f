import { randomUUID } from 'node:crypto';
import { AUDIO_DEFAULTS, type AudioLimits } from '../config/media-limits-config.ts';
import type { EngineCall, TranscriptionResult } from '../engines/engine.ts';
import { engineFor } from '../engines/engine-for.ts';
import { EngineError, toVeniceError } from '../engines/engine-error.ts';
import { VeniceError } from '../errors/venice-error.ts';
import type { CreateTranscriptionRequest } from '../schemas/transcriptions.ts';
import type { Billing, Settlement } from './billing/meter.ts';
import type { ModelEntry, ModelRegistry } from './model-registry.ts';
import type { Cost } from './pricing.ts';

export interface TranscriptionOutcome {
  result: TranscriptionResult;
  entry: ModelEntry;
  servedBy: string;
  cost: Cost;
}

/** Prices carry 12 decimals at most (as in pricing.ts). */
function round(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

/** asr is priced per second of input audio (INVENTORY §6.2), fractions included. */
export function audioCostOf(entry: ModelEntry, seconds: number): Cost {
  const rate = entry.config.pricing.per_audio_second ?? { usd: 0, diem: 0 };
  return { usd: round(rate.usd * seconds), diem: round(rate.diem * seconds) };
}

/** Audio past the cap is the client's invalid request (400), not audio the engine could not process (422). */
function tooLong(maxSeconds: number): VeniceError {
  return new VeniceError('INVALID_REQUEST', {
    extra: {
      details: {
        file: {
          _errors: [
            `The audio lasts more than ${maxSeconds} seconds, the most transcribed in one request`,
          ],
        },
      },
    },
  });
}

/**
 * POST /audio/transcriptions: resolves the model (default: the first asr model), reserves the price of
 * the decoded audio's length before recognition, settles it after, and releases it on any failure.
 * Audio the engine cannot use (empty, silent, corrupt) is 422 ASR_UPSTREAM_VALIDATION_FAILED; an upstream's
 * failure (status 5xx) is 502 ASR_UPSTREAM_FAILED.
 */
export class TranscriptionService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly limits: AudioLimits = AUDIO_DEFAULTS,
  ) {}

  async transcribe(
    request: CreateTranscriptionRequest,
    fileName: string | undefined,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<TranscriptionOutcome> {
    const model = request.model ?? this.registry.traits('asr').default;
    if (model === undefined) throw new VeniceError('MODEL_NOT_FOUND');
    const { entry } = this.registry.resolve(model, 'asr');
    const engine = engineFor(entry, 'transcription');
    const call: EngineCall = { signal };
    // Admission (privacy, rate limits) before any decoding; the price is reserved once the decoded length is known.
    const admission = await billing.admit({
      modelId: entry.config.id,
      modelType: 'asr',
      requestId: `transcription-${randomUUID()}`,
      limitClass: 'audio',
      tokens: 0,
      privacy: entry.config.privacy,
    });
    let settlement: Settlement | undefined;
    const beforeRecognition = async (seconds: number): Promise<void> => {
      // A few bytes can decode to hours (a WAV at 1 Hz): the engine stops decoding past the cap, refused here.
      if (seconds > this.limits.maxSeconds) throw tooLong(this.limits.maxSeconds);
      settlement = await admission.reserve(audioCostOf(entry, seconds));
    };
    // Subtitles and verbose_json are built from the segment timings.
    const timestamps =
      request.timestamps ||
      (request.response_format !== 'json' && request.response_format !== 'text');
    let result: TranscriptionResult;
    try {
      result = await engine.transcribe(
        {
          model: entry.engineModel,
          audio: request.file,
          timestamps,
          beforeRecognition,
          decodeLimits: {
            maxSeconds: this.limits.maxSeconds,
            timeoutSeconds: this.limits.decodeTimeoutSeconds,
          },
          ...(fileName === undefined ? {} : { fileName }),
          ...(request.language === undefined ? {} : { language: request.language }),
        },
        call,
      );
    } catch (error) {
      await admission.cancel();
      await settlement?.release(signal.aborted ? 'client_disconnected' : 'failed');
      if (!(error instanceof EngineError)) throw error;
      if (error.failure === 'bad_request')
        throw new VeniceError('ASR_UPSTREAM_VALIDATION_FAILED', { cause: error });
      // An upstream server's 5xx (or a broken answer, status 502) is the documented 502, not a 500 of Rialto's own.
      if (error.failure === 'failed' && (error.options.status ?? 0) >= 500)
        throw new VeniceError('ASR_UPSTREAM_FAILED', { cause: error });
      throw toVeniceError(error);
    }
    // An engine that never reached recognition reserved nothing: the admission ends here.
    if (settlement === undefined) await admission.cancel();
    const cost = audioCostOf(entry, result.duration);
    await settlement?.settle({ promptTokens: 0, completionTokens: 0 }, cost, 'completed');
    return { result, entry, servedBy: call.servedBy ?? engine.kind, cost };
  }
}
