import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EngineCall } from '../engines/engine.ts';
import { engineFor } from '../engines/engine-for.ts';
import { EngineError, toVeniceError } from '../engines/engine-error.ts';
import { invalidRequest } from '../errors/validation.ts';
import { VeniceError } from '../errors/venice-error.ts';
import type { CreateSpeechRequest } from '../schemas/audio.ts';
import type { Billing, Settlement } from './billing/meter.ts';
import type { ModelEntry, ModelRegistry } from './model-registry.ts';
import type { VoiceService } from './voices/voice-service.ts';
import type { Cost } from './pricing.ts';

export interface SpeechOutcome {
  /** The audio, chunk by chunk; the request is settled after the last chunk and released if it ends otherwise. */
  audio: AsyncIterable<Buffer>;
  contentType: string;
  entry: ModelEntry;
  servedBy: string;
  cost: Cost;
}

/** tts is priced per 1M characters of input (INVENTORY §6.2), rounded to 12 decimals as in pricing.ts. */
export function speechCostOf(entry: ModelEntry, characters: number): Cost {
  const rate = entry.config.pricing.input;
  const price = (value: number): number =>
    Math.round(((characters * value) / 1_000_000) * 1e12) / 1e12;
  return { usd: price(rate.usd), diem: price(rate.diem) };
}

/** The 400 of a field the model does not offer, in the shape of every other validation error. */
function notOffered(
  field: 'voice' | 'response_format',
  value: string,
  message: string,
): VeniceError {
  return invalidRequest(new z.ZodError([{ code: 'custom', path: [field], message, input: value }]));
}

function toClientError(error: unknown): unknown {
  return error instanceof EngineError ? toVeniceError(error, 'input') : error;
}

/**
 * POST /audio/speech: resolves the model (default: the first tts model), checks voice and format against
 * it (INVENTORY §11.18), reserves the price of the input, synthesizes, and settles once the last chunk of
 * audio is produced; a failure (or a reader that stops early) releases the reservation instead.
 */
export class SpeechService {
  /** `voices` resolves the vv_ handles of POST /audio/voices (the caller's, made with the same model). */
  constructor(
    private readonly registry: ModelRegistry,
    private readonly voices?: Pick<VoiceService, 'resolve'>,
  ) {}

  async synthesize(
    request: CreateSpeechRequest,
    signal: AbortSignal,
    billing: Billing,
    accountId?: string,
  ): Promise<SpeechOutcome> {
    const model = request.model ?? this.registry.traits('tts').default;
    if (model === undefined) throw new VeniceError('MODEL_NOT_FOUND');
    const { entry } = this.registry.resolve(model, 'tts');
    const { config } = entry;
    const engine = engineFor(entry, 'speech');
    const voices = engine.voices(entry.engineModel);
    let voice = request.voice ?? config.defaultVoice ?? voices[0] ?? '';
    if (voice.startsWith('vv_') && this.voices !== undefined)
      voice = await this.voices.resolve(accountId, config.id, voice);
    else if (!voices.includes(voice))
      throw notOffered(
        'voice',
        voice,
        `Voice "${voice}" is not available for model ${config.id}; its voices are listed in model_spec.voices of GET /models?type=tts`,
      );
    const format = request.response_format ?? config.defaultFormat;
    const formats = engine.formats(entry.engineModel);
    if (!formats.includes(format))
      throw notOffered(
        'response_format',
        format,
        `Format "${format}" is not supported by model ${config.id}; supported formats: ${formats.join(', ')}`,
      );
    const cost = speechCostOf(entry, request.input.length);
    const settlement = await billing.reserve({
      modelId: config.id,
      modelType: 'tts',
      requestId: `speech-${randomUUID()}`,
      limitClass: 'audio',
      tokens: 0,
      worstCase: cost,
      privacy: config.privacy,
    });
    const call: EngineCall = { signal };
    let iterator: AsyncIterator<Buffer>;
    let first: IteratorResult<Buffer>;
    try {
      const result = await engine.synthesize(
        {
          model: entry.engineModel,
          input: request.input,
          voice,
          format,
          speed: request.speed,
          ...(request.language === undefined ? {} : { language: request.language }),
        },
        call,
      );
      // The first chunk before any header is sent: a failure to start is still an error status.
      iterator = result.audio[Symbol.asyncIterator]();
      first = await iterator.next();
      return {
        audio: settleAfter(first, iterator, settlement, signal, cost),
        contentType: result.contentType,
        entry,
        servedBy: call.servedBy ?? engine.kind,
        cost,
      };
    } catch (error) {
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
      throw toClientError(error);
    }
  }
}

/** Yields `first` and the rest of `iterator`; settles after the last chunk, releases on an error or an early stop. */
async function* settleAfter(
  first: IteratorResult<Buffer>,
  iterator: AsyncIterator<Buffer>,
  settlement: Settlement,
  signal: AbortSignal,
  cost: Cost,
): AsyncGenerator<Buffer> {
  let finished = false;
  try {
    for (let next = first; next.done !== true; next = await iterator.next()) yield next.value;
    finished = true;
  } catch (error) {
    throw toClientError(error);
  } finally {
    if (finished) {
      await settlement.settle({ promptTokens: 0, completionTokens: 0 }, cost, 'completed');
    } else {
      await iterator.return?.();
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
    }
  }
}
