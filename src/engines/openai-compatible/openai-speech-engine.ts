import type { Dispatcher } from 'undici';
import type { ModelConfig, OpenAiCompatibleEngineConfig } from '../../config.ts';
import type {
  AudioFormat,
  EngineCall,
  SpeechEngine,
  SpeechRequest,
  SpeechResult,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { AUDIO_FORMATS, CONTENT_TYPES } from '../media/audio-encoding.ts';
import { brokenAnswer } from '../upstream/network-error.ts';
import { readAnswer } from '../upstream/upstream-answer.ts';
import { postAudio } from './openai-audio-upstream.ts';
import { UpstreamVoices } from './openai-audio-voices.ts';
import { upstreamMessage } from '../upstream/upstream-errors.ts';
import { UpstreamPool } from '../upstream/upstream-pool.ts';

/** A 2xx in one of these is an error report, not audio. */
const NOT_AUDIO = /^(application\/json|text\/)/i;

/** The upstream's audio as it arrives; an empty body or a broken stream is an EngineError, and leaving early frees the connection. */
async function* relay(
  response: Dispatcher.ResponseData,
  label: string,
  call: EngineCall,
): AsyncGenerator<Buffer> {
  let bytes = 0;
  try {
    for await (const chunk of response.body) {
      if (!Buffer.isBuffer(chunk) || chunk.length === 0) continue;
      bytes += chunk.length;
      yield chunk;
    }
  } catch (error) {
    throw brokenAnswer(error, label, call);
  } finally {
    if (!response.body.destroyed) response.body.destroy();
  }
  if (bytes === 0)
    throw new EngineError('failed', `upstream ${label} answered without audio`, {
      status: 502,
      retryable: false,
    });
}

/**
 * Text to speech on an OpenAI-compatible server (Kokoro-FastAPI, openedai-speech, speaches, OpenAI):
 * POST /audio/speech {model, input, voice, response_format, speed}, the answer's bytes passed on as they
 * arrive (Kokoro-FastAPI streams sentence by sentence, so `streaming: true` reaches the client early).
 * `language` is not sent: OpenAI's API has no such field. Voices: see openai-audio-voices.ts; formats:
 * the model's `supportedFormats`, else all six (what OpenAI and Kokoro-FastAPI produce).
 */
class OpenAiSpeechEngine implements SpeechEngine {
  readonly kind = 'openai-compatible';
  readonly modality = 'speech';

  constructor(
    private readonly pool: UpstreamPool,
    private readonly offeredVoices: UpstreamVoices,
    private readonly offeredFormats: readonly AudioFormat[],
  ) {}

  voices(): readonly string[] {
    return this.offeredVoices.list();
  }

  formats(): readonly AudioFormat[] {
    return this.offeredFormats;
  }

  async synthesize(request: SpeechRequest, call: EngineCall): Promise<SpeechResult> {
    const payload = JSON.stringify({
      model: request.model,
      input: request.input,
      voice: request.voice,
      response_format: request.format,
      speed: request.speed,
    });
    const { response, endpoint } = await postAudio(
      this.pool,
      '/audio/speech',
      { payload, contentType: 'application/json' },
      'audio/*, application/octet-stream',
      call,
    );
    const type = response.headers['content-type'];
    if (typeof type === 'string' && NOT_AUDIO.test(type)) {
      const answer = await readAnswer(response).catch(() => '');
      throw new EngineError(
        'failed',
        `upstream ${endpoint.label} answered ${type} instead of audio: ${upstreamMessage(answer)}`,
        { status: 502, retryable: false },
      );
    }
    return {
      audio: relay(response, endpoint.label, call),
      contentType: CONTENT_TYPES[request.format],
    };
  }

  async checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    const health = await this.pool.checkModels(signal);
    if (health.healthy) await this.offeredVoices.discover();
    return health;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** The engine of one tts model; asks the upstream for its voices first (unless the model lists them). Never throws for an upstream that is down. */
export async function createOpenAiSpeechEngine(
  config: OpenAiCompatibleEngineConfig,
  model: Pick<ModelConfig, 'voices' | 'supportedFormats'>,
): Promise<SpeechEngine> {
  const pool = new UpstreamPool(config);
  const voices = new UpstreamVoices(pool, model.voices);
  await voices.discover();
  return new OpenAiSpeechEngine(pool, voices, model.supportedFormats ?? AUDIO_FORMATS);
}
