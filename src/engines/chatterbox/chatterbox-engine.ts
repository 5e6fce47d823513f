import type { ChatterboxEngineConfig } from '../../config/engine-config.ts';
import type {
  AudioFormat,
  EngineCall,
  SpeechEngine,
  SpeechRequest,
  SpeechResult,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { ranOutOfTime } from '../upstream/network-error.ts';
import type { VoiceCloningEngine, VoiceCloningSpec } from '../voice-cloning.ts';

/** The voice Chatterbox answers with its configured sample (VOICE_SAMPLE_PATH): any name not in its library. */
export const CHATTERBOX_DEFAULT_VOICE = 'default';

/** Caps on what is read back from the server: a JSON answer, and the audio of one request. */
const MAX_JSON_BYTES = 1024 * 1024;
const MAX_AUDIO_BYTES = 256 * 1024 * 1024;

/**
 * travisvn/chatterbox-tts-api (FastAPI): speech is POST /v1/audio/speech {input, voice, response_format, speed}
 * answering audio/wav (app/api/endpoints/speech.py; WAV whatever the format asked); the voice library is
 * POST /v1/voices (multipart voice_name, voice_file, language; 201), DELETE /v1/voices/{name}, GET /v1/voices
 * (app/api/endpoints/voices.py). A voice name its library lacks silently falls back to the default sample, so
 * Rialto only ever sends names it stored itself (services/voices) or nothing for the default voice.
 */
export class ChatterboxEngine implements SpeechEngine, VoiceCloningEngine {
  readonly kind = 'chatterbox';
  readonly modality = 'speech';
  private readonly base: string;
  private readonly label: string;
  /** Chatterbox re-reads the sample on each synthesis; Venice asks 5 s of speech at least (voice-cloning.mdx). */
  readonly voiceCloning: VoiceCloningSpec;

  constructor(private readonly config: ChatterboxEngineConfig) {
    this.base = config.url.replace(/\/+$/, '');
    const url = new URL(config.url);
    this.label = config.name ?? url.host;
    this.voiceCloning = {
      mode: 'zero_shot',
      minSampleSeconds: 5,
      retentionDays: config.voiceRetentionDays,
    };
  }

  voices(): readonly string[] {
    return [CHATTERBOX_DEFAULT_VOICE];
  }

  formats(): readonly AudioFormat[] {
    return ['wav'];
  }

  async synthesize(request: SpeechRequest, call: EngineCall): Promise<SpeechResult> {
    call.servedBy = `chatterbox/${this.label}`;
    const body: Record<string, unknown> = {
      input: request.input,
      response_format: 'wav',
      speed: request.speed,
    };
    if (request.voice !== CHATTERBOX_DEFAULT_VOICE) body.voice = request.voice;
    const response = await this.send(
      '/v1/audio/speech',
      {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      },
      call.signal,
    );
    const audio = await readCapped(response, MAX_AUDIO_BYTES);
    if (audio.length < 44 || audio.subarray(0, 4).toString('latin1') !== 'RIFF')
      throw new EngineError('failed', `Chatterbox at ${this.label} answered no WAV audio`);
    return { audio: oneChunk(audio), contentType: 'audio/wav' };
  }

  async addVoice(name: string, sample: Buffer, extension: string, call: EngineCall): Promise<void> {
    const form = new FormData();
    form.set('voice_name', name);
    form.set('language', 'en');
    form.set('voice_file', new Blob([new Uint8Array(sample)]), `sample.${extension}`);
    const response = await this.send('/v1/voices', { method: 'POST', body: form }, call.signal);
    await readCapped(response, MAX_JSON_BYTES);
  }

  async deleteVoice(name: string, signal: AbortSignal): Promise<void> {
    try {
      const response = await this.send(
        `/v1/voices/${encodeURIComponent(name)}`,
        { method: 'DELETE' },
        signal,
      );
      await readCapped(response, MAX_JSON_BYTES);
    } catch (error) {
      if (error instanceof EngineError && error.options.status === 404) return;
      throw error;
    }
  }

  async checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    try {
      const response = await this.send('/health', { method: 'GET' }, signal);
      await readCapped(response, MAX_JSON_BYTES);
      return { healthy: true, detail: `chatterbox at ${this.label} answers` };
    } catch (error) {
      return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  async close(): Promise<void> {}

  /** One request, bounded by timeoutMs and the caller's signal; a non-2xx answer is an EngineError (body not kept: it may quote the input). */
  private async send(path: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.config.apiKey !== undefined)
      headers.set('authorization', `Bearer ${this.config.apiKey}`);
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        ...init,
        headers,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.config.timeoutMs)]),
      });
    } catch (error) {
      if (signal.aborted)
        throw new EngineError('failed', 'The request was cancelled', { cause: error });
      const timedOut = ranOutOfTime(error);
      throw new EngineError(
        timedOut ? 'timeout' : 'offline',
        `Chatterbox at ${this.label} ${timedOut ? 'did not answer in time' : 'cannot be reached'}`,
      );
    }
    if (response.ok) return response;
    await response.body?.cancel();
    const status = response.status;
    const failure =
      status === 429 || status === 503 ? 'overloaded' : status >= 500 ? 'failed' : 'bad_request';
    throw new EngineError(
      failure,
      `Chatterbox at ${this.label} answered ${status} to ${path.split('/').slice(0, 3).join('/')}`,
      {
        status,
        upstream: { endpoint: this.label, status, message: `HTTP ${status}` },
      },
    );
  }
}

async function readCapped(response: Response, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (response.body === null) return Buffer.alloc(0);
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > cap) {
      await response.body.cancel().catch(() => {});
      throw new EngineError('failed', `The upstream answer is over ${cap} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

async function* oneChunk(audio: Buffer): AsyncGenerator<Buffer> {
  yield audio;
}

export function createChatterboxEngine(config: ChatterboxEngineConfig): ChatterboxEngine {
  return new ChatterboxEngine(config);
}
