import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SherpaOnnxEngineConfig } from '../../config/engine-config.ts';
import type {
  EngineCall,
  EngineLoad,
  TranscriptionEngine,
  TranscriptionRequest,
  TranscriptionResult,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { decodeToPcm, recognitionSignal } from '../media/pcm-decode.ts';
import { BoundedSlots } from './bounded-slots.ts';
import {
  checkNemoTransducerModel,
  checkSileroVad,
  checkWhisperGraphs,
  checkWhisperModel,
  type WhisperModelFacts,
} from './sherpa-onnx-asr-checks.ts';
import {
  type OfflineRecognizer,
  type OfflineRecognizerConfig,
  type RecognitionResult,
  sherpaOnnxAsr,
} from './sherpa-onnx-asr-module.ts';
import { type RecognizedPiece, transcriptOf } from './sherpa-onnx-asr-transcript.ts';
import { resolveFiles } from './sherpa-onnx-files.ts';
import {
  fixedPieces,
  pcmChunks,
  SAMPLE_RATE,
  type SpeechPiece,
  vadPieces,
} from './sherpa-onnx-speech-pieces.ts';

const FFMPEG = 'ffmpeg';
/** Whisper reads 30 s at most; pieces stay under it (the VAD cuts longer speech there too). */
const MAX_PIECE_SECONDS = 28;
/** Below this peak (about -54 dBFS, as the pocketsphinx engine) the audio is silence. */
const SILENCE_PEAK = 64 / 32768;
/** A stuck decode is stopped after the decode limit plus this many times the audio's length. */
const RECOGNITION_TIME_FACTOR = 4;

export type AsrFamily = 'whisper' | 'nemo-transducer';

type DecodeLimits = NonNullable<TranscriptionRequest['decodeLimits']>;

/**
 * Writes `audio` to the folder and decodes it to 16 kHz mono 16-bit PCM in `output` (decodeToPcm); returns its
 * length in seconds.
 */
async function decodeAudio(
  audio: Buffer,
  folder: string,
  output: string,
  limits: DecodeLimits | undefined,
  signal: AbortSignal,
): Promise<number> {
  const input = join(folder, 'input');
  await writeFile(input, audio);
  try {
    return await decodeToPcm(FFMPEG, input, output, limits, signal);
  } finally {
    await rm(input, { force: true });
  }
}

/** Whether the decoded audio rises above silence anywhere (read until it does). */
async function isSilent(path: string, signal: AbortSignal): Promise<boolean> {
  for await (const chunk of pcmChunks(path, signal))
    for (const sample of chunk) if (Math.abs(sample) >= SILENCE_PEAK) return false;
  return true;
}

/** What a Whisper decode is configured with: the recognizer's, not the stream's. */
interface WhisperSettings {
  language: string;
  /** Timestamp tokens decoded into segment times (Whisper's own segments), when the request wants timings. */
  segments: boolean;
}

const keyOf = (settings: WhisperSettings): string =>
  `${settings.language}|${settings.segments ? 1 : 0}`;

/**
 * One recognizer config at a time: Whisper's language and segment timestamps are the recognizer's, not the
 * stream's, so a request for other settings waits until the decodes under the current ones end, then switches
 * them (setConfig).
 */
class SettingsGate {
  private current: string;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    initial: WhisperSettings,
    private readonly apply: (settings: WhisperSettings) => void,
  ) {
    this.current = keyOf(initial);
  }

  async run<T>(settings: WhisperSettings, work: () => Promise<T>): Promise<T> {
    const key = keyOf(settings);
    while (key !== this.current && this.active > 0)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (key !== this.current) {
      this.apply(settings);
      this.current = key;
    }
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      if (this.active === 0) for (const wake of this.waiting.splice(0)) wake();
    }
  }
}

interface AsrFiles {
  encoder: string;
  decoder: string;
  joiner?: string;
  tokens: string;
  vad?: string;
}

function recognizerConfig(
  family: AsrFamily,
  files: AsrFiles,
  threads: number,
  settings: WhisperSettings,
): OfflineRecognizerConfig {
  const common = { tokens: files.tokens, numThreads: threads, provider: 'cpu', debug: 0 };
  if (family === 'whisper')
    return {
      featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
      modelConfig: {
        ...common,
        whisper: {
          encoder: files.encoder,
          decoder: files.decoder,
          language: settings.language,
          task: 'transcribe',
          tailPaddings: -1,
          // An integer: sherpa-onnx-node 1.13.8 reads a boolean here as false.
          enableSegmentTimestamps: settings.segments ? 1 : 0,
        },
      },
      decodingMethod: 'greedy_search',
    };
  return {
    featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
    modelConfig: {
      ...common,
      modelType: 'nemo_transducer',
      transducer: { encoder: files.encoder, decoder: files.decoder, joiner: files.joiner ?? '' },
    },
    decodingMethod: 'greedy_search',
  };
}

/**
 * Speech to text with sherpa-onnx's OfflineRecognizer (Whisper; NeMo transducers such as Parakeet TDT), in the
 * server's process: ffmpeg decodes the upload to 16 kHz, Silero VAD (when the model folder has one) cuts it into
 * stretches of speech of at most 28 s (else it is cut every 28 s), and each piece is one decodeAsync on libuv's
 * threadpool, so the event loop stays free. Timestamps: Parakeet's token times give words; Whisper gives
 * segments (a piece each). At most maxConcurrency requests recognise at once, maxQueue wait up to queueTimeoutMs,
 * others get MODEL_AT_CAPACITY. Every file is checked before sherpa-onnx loads it (it ends the process on a
 * malformed model).
 */
export async function createSherpaOnnxAsrEngine(
  config: SherpaOnnxEngineConfig,
  modelsDirectory: string,
): Promise<TranscriptionEngine> {
  const family = config.family;
  if (family !== 'whisper' && family !== 'nemo-transducer')
    throw new Error(`sherpa-onnx ${family}: speech recognition serves whisper and nemo-transducer`);
  const resolved = resolveFiles(config, modelsDirectory);
  const { encoder, decoder, tokens } = resolved;
  if (encoder === undefined || decoder === undefined || tokens === undefined)
    throw new Error(`sherpa-onnx ${family}: the encoder, decoder and tokens files are needed`);
  const files: AsrFiles = {
    encoder,
    decoder,
    tokens,
    ...(resolved.joiner === undefined ? {} : { joiner: resolved.joiner }),
    ...(resolved.vad === undefined ? {} : { vad: resolved.vad }),
  };
  let whisper: WhisperModelFacts | undefined;
  if (family === 'whisper') {
    whisper = await checkWhisperModel(files.encoder);
    await checkWhisperGraphs(files);
  } else await checkNemoTransducerModel({ encoder, decoder, joiner: files.joiner ?? '', tokens });
  if (files.vad !== undefined) await checkSileroVad(files.vad);
  const defaultLanguage = whisper?.multilingual ? (config.language ?? '') : '';
  if (whisper?.multilingual && defaultLanguage !== '' && !whisper.languages.has(defaultLanguage))
    throw new Error(
      `sherpa-onnx whisper: the model does not know the language '${defaultLanguage}'`,
    );
  const addon = sherpaOnnxAsr();
  const recognizer: OfflineRecognizer = await addon.OfflineRecognizer.createAsync(
    recognizerConfig(family, files, config.threads, { language: defaultLanguage, segments: false }),
  );
  const gate = new SettingsGate({ language: defaultLanguage, segments: false }, (settings) =>
    recognizer.setConfig(recognizerConfig(family, files, config.threads, settings)),
  );
  const slots = new BoundedSlots(config.maxConcurrency, config.maxQueue, config.queueTimeoutMs);
  const closing = new AbortController();

  /** The language to decode with: a multilingual Whisper's for a hint it knows; '' (detect, or English-only). */
  function languageOf(request: TranscriptionRequest): string {
    if (!whisper?.multilingual) return '';
    const hint = request.language?.trim().toLowerCase();
    if (hint === undefined || hint === '') return defaultLanguage;
    if (!whisper.languages.has(hint))
      throw new EngineError(
        'bad_request',
        `This model does not transcribe the language '${hint}'.`,
      );
    return hint;
  }

  function piecesOf(pcm: string, signal: AbortSignal): AsyncIterable<SpeechPiece> {
    const chunks = pcmChunks(pcm, signal);
    if (files.vad === undefined) return fixedPieces(chunks, MAX_PIECE_SECONDS);
    return vadPieces(
      (vadConfig, seconds) => new addon.Vad(vadConfig, seconds),
      {
        model: files.vad,
        threshold: 0.5,
        minSilenceSeconds: 0.5,
        minSpeechSeconds: 0.25,
        maxSpeechSeconds: MAX_PIECE_SECONDS,
      },
      chunks,
    );
  }

  async function transcribe(
    request: TranscriptionRequest,
    call: EngineCall,
  ): Promise<TranscriptionResult> {
    if (closing.signal.aborted) throw new EngineError('offline', 'sherpa-onnx engine is closed');
    const language = languageOf(request);
    const signal = AbortSignal.any([call.signal, closing.signal]);
    const release = await slots.acquire(signal);
    const folder = await mkdtemp(join(tmpdir(), 'rialto-sherpa-asr-'));
    try {
      call.servedBy = 'sherpa-onnx';
      const pcm = join(folder, 'audio.s16');
      const limits = request.decodeLimits;
      const duration = await decodeAudio(request.audio, folder, pcm, limits, signal);
      if (await isSilent(pcm, signal)) throw new EngineError('bad_request', 'The audio is silent.');
      await request.beforeRecognition?.(duration);
      const recognising = recognitionSignal(signal, limits, duration, RECOGNITION_TIME_FACTOR);
      const recognized: RecognizedPiece[] = [];
      for await (const piece of piecesOf(pcm, recognising)) {
        recognising.throwIfAborted();
        const stream = recognizer.createStream();
        stream.acceptWaveform({ samples: piece.samples, sampleRate: SAMPLE_RATE });
        const decode = async (): Promise<RecognitionResult> => {
          try {
            return await recognizer.decodeAsync(stream);
          } catch (error) {
            // onnxruntime's error (a model whose graph does not fit its inputs): the engine failed, not the client.
            throw new EngineError('failed', `sherpa-onnx ${family} could not decode the audio`, {
              cause: error,
            });
          }
        };
        const result =
          family === 'whisper'
            ? await gate.run({ language, segments: request.timestamps }, decode)
            : await decode();
        recognized.push({
          start: piece.start / SAMPLE_RATE,
          end: Math.min(duration, (piece.start + piece.samples.length) / SAMPLE_RATE),
          result,
        });
      }
      recognising.throwIfAborted();
      return transcriptOf(recognized, duration, request.timestamps);
    } finally {
      release();
      await rm(folder, { recursive: true, force: true });
    }
  }

  return {
    kind: 'sherpa-onnx',
    modality: 'transcription',
    transcribe,
    load: (): EngineLoad => slots.load,
    checkHealth: async () =>
      closing.signal.aborted
        ? { healthy: false, detail: 'closed' }
        : {
            healthy: true,
            detail: `${family}${files.vad === undefined ? '' : ' with Silero VAD'}${whisper?.multilingual ? ', multilingual' : ''}`,
          },
    close: async () => {
      // The addon frees the model when the recognizer is collected; nothing holds it after this.
      closing.abort(new EngineError('offline', 'sherpa-onnx engine is closed'));
    },
  };
}
