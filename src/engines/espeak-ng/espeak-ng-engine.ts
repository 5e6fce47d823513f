import type { EspeakNgEngineConfig } from '../../config.ts';
import type {
  AudioFormat,
  EngineCall,
  EngineLoad,
  SpeechEngine,
  SpeechRequest,
  SpeechResult,
} from '../engine.ts';
import { EngineError } from '../engine-error.ts';
import { AUDIO_FORMATS, CONTENT_TYPES } from '../media/audio-encoding.ts';
import { speakSentences } from '../media/sentence-audio.ts';
import { Semaphore } from '../semaphore.ts';
import { runWithInput, withTimeLimit } from '../media/start-process.ts';
import { pcmOfWav, type Pcm } from './wav-pcm.ts';

const INSTALL_HINT = 'install it with: apt-get install -y espeak-ng ffmpeg';
/** espeak-ng's own default rate (words per minute) is speed 1; it speaks between 80 and 450. */
const NORMAL_RATE = 175;
const MIN_RATE = 80;
const MAX_RATE = 450;

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** espeak-ng's rate for `speed`, and the tempo ffmpeg applies on top where the rate alone cannot reach it (0.25 → 80 wpm × 0.55). */
export function rateOf(speed: number): { wordsPerMinute: number; tempo: number } {
  const wanted = NORMAL_RATE * speed;
  const wordsPerMinute = Math.round(Math.min(MAX_RATE, Math.max(MIN_RATE, wanted)));
  return { wordsPerMinute, tempo: wanted / wordsPerMinute };
}

/** Runs `command` with `args`; a binary that is not there is EngineError 'offline' with the install hint. */
async function probe(command: string, args: readonly string[]): Promise<string> {
  let result: Awaited<ReturnType<typeof runWithInput>>;
  try {
    result = await runWithInput(command, args, '', AbortSignal.timeout(10_000));
  } catch (error) {
    throw new EngineError(
      'offline',
      `espeak-ng engine: cannot run '${command}' (${error instanceof Error ? error.message : String(error)}); ${INSTALL_HINT}`,
      { cause: error },
    );
  }
  if (result.code !== 0)
    throw new EngineError(
      'offline',
      `espeak-ng engine: '${command} ${args.join(' ')}' failed: ${firstLine(result.stderr)}; ${INSTALL_HINT}`,
    );
  return result.stdout.toString('utf8');
}

/**
 * Installed voices from `espeak-ng --voices`: the language column (`en-us`, `de`, …) in listed order,
 * plus every name espeak-ng also accepts for them (voice name, file) for checking configured voices.
 */
function parseVoices(listing: string): { languages: string[]; accepted: Set<string> } {
  const rows = listing
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns.length >= 5);
  const languages = [...new Set(rows.map((columns) => columns[1] ?? ''))].filter(
    (language) => language !== '',
  );
  return {
    languages,
    accepted: new Set(
      rows.flatMap((columns) => [columns[1] ?? '', columns[3] ?? '', columns[4] ?? '']),
    ),
  };
}

/**
 * Text to speech with espeak-ng from Debian's packages, run as child processes (its GPL code stays out of
 * Rialto's process). Each sentence is one `espeak-ng --stdout` run (text on stdin, never in argv); its
 * WAV is piped into one ffmpeg per request that encodes the requested format, so audio streams out
 * sentence by sentence. At most `concurrency` requests synthesize at once; the others wait in order.
 */
class EspeakNgEngine implements SpeechEngine {
  readonly kind = 'espeak-ng';
  readonly modality = 'speech';
  private readonly slots: Semaphore;
  private closed = false;

  constructor(
    private readonly config: EspeakNgEngineConfig,
    private readonly offered: readonly string[],
  ) {
    this.slots = new Semaphore(config.concurrency);
  }

  load(): EngineLoad {
    return this.slots.load;
  }

  voices(): readonly string[] {
    return this.offered;
  }

  formats(): readonly AudioFormat[] {
    return AUDIO_FORMATS;
  }

  async checkHealth(): Promise<{ healthy: boolean; detail: string }> {
    if (this.closed) return { healthy: false, detail: 'closed' };
    try {
      await probe(this.config.command, ['--version']);
      await probe(this.config.ffmpeg, ['-hide_banner', '-version']);
      return { healthy: true, detail: `${this.config.command} and ${this.config.ffmpeg} run` };
    } catch (error) {
      return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async synthesize(request: SpeechRequest, call: EngineCall): Promise<SpeechResult> {
    if (this.closed) throw new EngineError('offline', 'the espeak-ng engine is closed');
    if (!this.offered.includes(request.voice))
      throw new EngineError('bad_request', `Voice ${request.voice} is not available`);
    if (!AUDIO_FORMATS.includes(request.format))
      throw new EngineError('bad_request', `Format ${request.format} is not supported`);
    call.servedBy = this.kind;
    return { audio: this.stream(request, call.signal), contentType: CONTENT_TYPES[request.format] };
  }

  /** One sentence's PCM; espeak-ng takes milliseconds for one, so one still running after 30 s is stuck and killed ('timeout'). */
  private async speak(
    text: string,
    voice: string,
    wordsPerMinute: number,
    callSignal: AbortSignal,
  ): Promise<Pcm> {
    const signal = withTimeLimit(callSignal, 30, 'espeak-ng on one sentence');
    const result = await runWithInput(
      this.config.command,
      ['-v', voice, '-s', String(wordsPerMinute), '-b', '1', '--stdout'],
      text,
      signal,
    );
    signal.throwIfAborted();
    if (result.code !== 0)
      throw new EngineError(
        'failed',
        `espeak-ng exited with code ${result.code}: ${firstLine(result.stderr)}`,
      );
    return pcmOfWav(result.stdout);
  }

  /**
   * The encoded audio. Nothing runs until the first read; the slot is held until the last one, an error,
   * or the reader stopping early, and every child process is dead before the slot is released.
   */
  private async *stream(request: SpeechRequest, callSignal: AbortSignal): AsyncGenerator<Buffer> {
    const release = await this.slots.acquire(callSignal);
    try {
      const { wordsPerMinute, tempo } = rateOf(request.speed);
      yield* speakSentences(
        {
          ffmpeg: this.config.ffmpeg,
          text: request.input,
          format: request.format,
          tempo,
          engine: 'espeak-ng',
          hint: INSTALL_HINT,
          stderrDetail: firstLine,
          speak: (sentence, signal) => this.speak(sentence, request.voice, wordsPerMinute, signal),
        },
        callSignal,
      );
    } finally {
      release();
    }
  }
}

/**
 * Creates the engine: checks that espeak-ng and ffmpeg run and lists the installed voices once. Throws
 * EngineError 'offline' (with the install hint) for a missing binary and 'failed' for a configured voice
 * that is not installed. Offers config.voices, else every installed voice.
 */
export async function createEspeakNgEngine(config: EspeakNgEngineConfig): Promise<SpeechEngine> {
  const installed = parseVoices(await probe(config.command, ['--voices']));
  await probe(config.ffmpeg, ['-hide_banner', '-version']);
  const offered = config.voices ?? installed.languages;
  // A variant (`en-us+klatt`) is accepted when its voice is installed; espeak-ng ignores unknown variants.
  const missing = offered.filter((voice) => !installed.accepted.has(voice.split('+')[0] ?? voice));
  if (missing.length > 0)
    throw new EngineError(
      'failed',
      `espeak-ng engine: voice(s) not installed: ${missing.join(', ')} (see espeak-ng --voices)`,
    );
  if (offered.length === 0)
    throw new EngineError(
      'failed',
      'espeak-ng engine: no voices installed (espeak-ng --voices lists none)',
    );
  return new EspeakNgEngine(config, offered);
}
