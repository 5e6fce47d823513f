import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAiCompatibleEngineConfig } from '../../config.ts';
import type {
  EngineCall,
  TranscriptionEngine,
  TranscriptionRequest,
  TranscriptionResult,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { startProcess } from '../media/start-process.ts';
import { Semaphore } from '../semaphore.ts';
import { multipartForm, type FormValue } from './openai-image-form.ts';
import { flacOf, probeAudio, type UploadName } from './openai-audio-probe.ts';
import { transcriptOf } from './openai-audio-transcript.ts';
import { brokenAnswer } from '../upstream/network-error.ts';
import { readAnswer } from '../upstream/upstream-answer.ts';
import { UpstreamPool } from '../upstream/upstream-pool.ts';
import { postAudio } from './openai-audio-upstream.ts';

/** The upload as the upstream gets it: the original under the extension of its real container, else FLAC. */
async function uploadOf(
  ffmpeg: string,
  folder: string,
  input: string,
  name: UploadName | undefined,
  request: TranscriptionRequest,
  signal: AbortSignal,
): Promise<FormValue> {
  if (name !== undefined)
    return {
      filename: `audio.${name.extension}`,
      contentType: name.contentType,
      bytes: request.audio,
    };
  return {
    filename: 'audio.flac',
    contentType: 'audio/flac',
    bytes: await flacOf(ffmpeg, input, join(folder, 'audio.flac'), signal, request.decodeLimits),
  };
}

/**
 * Speech to text on an OpenAI-compatible server (speaches / faster-whisper-server, whisper.cpp's server,
 * LocalAI, OpenAI): multipart POST /audio/transcriptions. Before anything is sent, ffmpeg decodes the upload
 * here to measure it (the caller reserves payment per second in beforeRecognition) and to refuse corrupt,
 * empty or silent audio as 'bad_request'; at most one decode per CPU runs at once. With timestamps the
 * upstream is asked for verbose_json with word and segment timings (Whisper's), else for plain json (which
 * every model takes, gpt-4o-transcribe included). The duration reported (and billed) is Rialto's measure.
 */
class OpenAiTranscriptionEngine implements TranscriptionEngine {
  readonly kind = 'openai-compatible';
  readonly modality = 'transcription';
  private readonly decoding = new Semaphore(availableParallelism());

  constructor(
    private readonly pool: UpstreamPool,
    private readonly ffmpeg: string,
  ) {}

  async transcribe(request: TranscriptionRequest, call: EngineCall): Promise<TranscriptionResult> {
    const folder = await mkdtemp(join(tmpdir(), 'rialto-asr-upstream-'));
    try {
      const input = join(folder, 'input');
      await writeFile(input, request.audio);
      const probed = await this.decode(
        () => probeAudio(this.ffmpeg, input, call.signal, request.decodeLimits),
        call.signal,
      );
      const seconds = probed.seconds;
      // Before any conversion: the caller refuses audio past its cap here.
      await request.beforeRecognition?.(seconds);
      const upload = await this.decode(
        () => uploadOf(this.ffmpeg, folder, input, probed.upload, request, call.signal),
        call.signal,
      );
      const fields: [string, FormValue][] = [
        ['file', upload],
        ['model', request.model],
        ['response_format', request.timestamps ? 'verbose_json' : 'json'],
      ];
      // openai-node sends an array field as `name[]`, once per value (node_modules/openai/internal/uploads).
      if (request.timestamps)
        fields.push(
          ['timestamp_granularities[]', 'word'],
          ['timestamp_granularities[]', 'segment'],
        );
      if (request.language !== undefined) fields.push(['language', request.language]);
      const { response, endpoint } = await postAudio(
        this.pool,
        '/audio/transcriptions',
        multipartForm(fields),
        'application/json, text/plain',
        call,
      );
      const answer = await readAnswer(response).catch((error: unknown) => {
        throw brokenAnswer(error, endpoint.label, call);
      });
      return transcriptOf(answer, seconds, request.timestamps, endpoint.label);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  /** Runs `work` (ffmpeg) in one of the decode slots. */
  private async decode<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const release = await this.decoding.acquire(signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }> {
    return this.pool.checkModels(signal);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** The engine of one asr model. Throws EngineError 'offline' when ffmpeg (config.ffmpeg, default on PATH) does not run. */
export async function createOpenAiTranscriptionEngine(
  config: OpenAiCompatibleEngineConfig,
): Promise<TranscriptionEngine> {
  const ffmpeg = config.ffmpeg ?? 'ffmpeg';
  const running = startProcess(ffmpeg, ['-hide_banner', '-version'], AbortSignal.timeout(10_000));
  running.child.stdin.end();
  running.child.stdout.resume();
  const code = await running.exit.catch((error: unknown) => {
    throw new EngineError(
      'offline',
      `openai-compatible asr engine: cannot run '${ffmpeg}' (${String(error)}); install it with: apt-get install -y ffmpeg`,
      { cause: error },
    );
  });
  if (code !== 0)
    throw new EngineError(
      'offline',
      `openai-compatible asr engine: '${ffmpeg} -version' exited with ${String(code)}`,
    );
  return new OpenAiTranscriptionEngine(new UpstreamPool(config), ffmpeg);
}
