/**
 * A REAL HTTP server (node:http on 127.0.0.1, port 0) speaking OpenAI's audio API, making real audio and
 * really transcribing it: speech is espeak-ng + ffmpeg (Debian's binaries, driven by Rialto's espeak-ng
 * engine, which encodes sentence by sentence), recognition is pocketsphinx (Rialto's pocketsphinx engine).
 * Only the runtimes are borrowed; the protocol below is the upstreams':
 *
 * - POST /v1/audio/speech, JSON {model, input, voice, response_format (default mp3), speed}: the audio in
 *   chunks as they are encoded, chunked transfer, the format's content type. Flavor `kokoro` follows
 *   Kokoro-FastAPI (remsky/Kokoro-FastAPI api/src/routers/openai_compatible.py, structures/schemas.py):
 *   models tts-1, tts-1-hd, kokoro, gpt-4o-mini-tts; Kokoro voice names, OpenAI's names mapped onto them
 *   (api/src/core/openai_mappings.json); refusals as FastAPI's `{"detail": {"error", "message", "type"}}`
 *   (400) and pydantic's `{"detail": [{loc, msg, type}]}` (422). Flavor `openai` follows
 *   node_modules/openai/resources/audio/speech.d.ts: OpenAI's voices, `{"error": {message, type, param, code}}`.
 * - GET /v1/audio/voices (kokoro): `{"voices": [{"id", "name"}]}`, or `{"voices": [names]}` with ?legacy=true.
 *   The openai flavor has no such route (404, as OpenAI answers an unknown URL).
 * - POST /v1/audio/transcriptions, multipart {file, model, language, prompt, response_format, temperature,
 *   timestamp_granularities[]} as whisper-1 takes it (node_modules/openai/resources/audio/transcriptions.d.ts,
 *   TranscriptionCreateParams / TranscriptionVerbose; speaches-ai/speaches src/speaches/routers/stt.py and
 *   api_types.py copy it): json, text, srt, vtt or verbose_json (segments with Whisper's fields and their text
 *   led by a space; `words` only when granularity `word` is asked). Like OpenAI it goes by the file name's
 *   extension (400 "Invalid file format") and answers undecodable audio with 400; silence is an empty text.
 *   Strict where OpenAI is: timestamp_granularities[] only with verbose_json.
 *
 * Failures: failNext() answers the next audio requests with a given status and body; hangNext() reads the
 * next one and never answers; breakNext() sends the first chunk of the next speech and cuts the connection;
 * down() stops listening. Every audio request is recorded (JSON body, or multipart fields and file).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type {
  EngineCall,
  SpeechEngine,
  TranscriptionEngine,
  TranscriptionResult,
} from '../../../src/engines/engine.ts';
import { EngineError } from '../../../src/engines/engine-error.ts';
import { createEspeakNgEngine } from '../../../src/engines/espeak-ng/espeak-ng-engine.ts';
import { createPocketsphinxEngine } from '../../../src/engines/pocketsphinx/pocketsphinx-engine.ts';
import { listenOnLoopback } from './listen-on-loopback.ts';

export type AudioFlavor = 'kokoro' | 'openai';

/** The espeak-ng voice behind each voice the double offers (en-us+klatt is the one pocketsphinx hears best). */
const KOKORO_VOICES: Readonly<Record<string, string>> = {
  af_bella: 'en-us+f2',
  af_heart: 'en-us+f3',
  am_adam: 'en-us+m3',
  am_michael: 'en-us+klatt',
  bf_emma: 'en-gb+f4',
  bm_george: 'en-gb',
};
/** A few of Kokoro-FastAPI's OpenAI voice mappings, onto the voices above. */
const KOKORO_OPENAI_NAMES: Readonly<Record<string, string>> = {
  alloy: 'am_adam',
  echo: 'af_bella',
  onyx: 'bm_george',
  nova: 'bf_emma',
  shimmer: 'af_heart',
};
const OPENAI_VOICES: Readonly<Record<string, string>> = {
  alloy: 'en-us+klatt',
  ash: 'en-us+m3',
  ballad: 'en-gb',
  coral: 'en-us+f2',
  echo: 'en-us+m1',
  fable: 'en-gb+m3',
  nova: 'en-us+f3',
  onyx: 'en-us+m7',
  sage: 'en-us+f4',
  shimmer: 'en-gb+f2',
};
const MODELS = {
  kokoro: ['tts-1', 'tts-1-hd', 'kokoro', 'gpt-4o-mini-tts'],
  openai: ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts'],
};
const FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
/** OpenAI's list, in its "Invalid file format" message. */
const FILE_EXTENSIONS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];

export interface Failure {
  status: number;
  body: unknown;
}

/** OpenAI's 500 body. */
export const SERVER_ERROR: Failure = {
  status: 500,
  body: {
    error: {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    },
  },
};

export interface RecordedAudioRequest {
  path: string;
  json?: Record<string, unknown>;
  /** Multipart text fields by name, every value in order. */
  fields?: Record<string, string[]>;
  file?: { filename: string; bytes: Buffer };
}

export interface OpenAiAudioServer {
  /** Base URL with /v1, what an engine endpoint's `url` takes. */
  readonly url: string;
  readonly flavor: AudioFlavor;
  /** The voices the speech route takes by name (what GET /v1/audio/voices lists for kokoro). */
  readonly voices: readonly string[];
  readonly requests: RecordedAudioRequest[];
  failNext(failure: Failure, times?: number): void;
  hangNext(): void;
  breakNext(): void;
  down(): Promise<void>;
  close(): Promise<void>;
}

function openAiError(
  status: number,
  message: string,
  param: string | null,
  code: string | null,
): Failure {
  return { status, body: { error: { message, type: 'invalid_request_error', param, code } } };
}

function clock(seconds: number, separator: string): string {
  const millis = Math.round(seconds * 1000);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(Math.floor(millis / 3_600_000))}:${pad(Math.floor(millis / 60_000) % 60)}:${pad(Math.floor(millis / 1000) % 60)}${separator}${pad(millis % 1000, 3)}`;
}

/** A recognised transcript in response_format `format`, as whisper-1 answers it. */
function transcriptBody(
  result: TranscriptionResult,
  format: string,
  granularities: string[],
): { type: string; body: string } {
  const segments = result.segments ?? [];
  const usage = { type: 'duration', seconds: Math.ceil(result.duration) };
  const cues = (separator: string): string[] =>
    segments.map(
      (segment) =>
        `${clock(segment.start, separator)} --> ${clock(segment.end, separator)}\n${segment.text}\n`,
    );
  switch (format) {
    case 'text':
      return { type: 'text/plain; charset=utf-8', body: `${result.text}\n` };
    case 'srt':
      return {
        type: 'text/plain; charset=utf-8',
        body: cues(',')
          .map((cue, index) => `${index + 1}\n${cue}\n`)
          .join(''),
      };
    case 'vtt':
      return { type: 'text/plain; charset=utf-8', body: `WEBVTT\n\n${cues('.').join('\n')}` };
    case 'verbose_json': {
      const body: Record<string, unknown> = {
        task: 'transcribe',
        language: 'english',
        duration: result.duration,
        text: result.text,
        segments: segments.map((segment, id) => ({
          id,
          seek: 0,
          start: segment.start,
          end: segment.end,
          text: ` ${segment.text}`,
          tokens: [],
          temperature: 0,
          avg_logprob: -0.25,
          compression_ratio: 1.2,
          no_speech_prob: 0.01,
        })),
        usage,
      };
      if (granularities.includes('word')) body.words = result.words ?? [];
      return { type: 'application/json', body: JSON.stringify(body) };
    }
    default:
      return { type: 'application/json', body: JSON.stringify({ text: result.text, usage }) };
  }
}

export async function startOpenAiAudioServer(
  options: { flavor?: AudioFlavor } = {},
): Promise<OpenAiAudioServer> {
  const flavor = options.flavor ?? 'kokoro';
  const voices = flavor === 'kokoro' ? KOKORO_VOICES : OPENAI_VOICES;
  const requests: RecordedAudioRequest[] = [];
  const failures: Failure[] = [];
  let hangs = 0;
  let breaks = 0;
  const speaker: SpeechEngine = await createEspeakNgEngine({
    kind: 'espeak-ng',
    command: 'espeak-ng',
    ffmpeg: 'ffmpeg',
    voices: [...new Set(Object.values(voices))],
    concurrency: 4,
  });
  const listener: TranscriptionEngine = await createPocketsphinxEngine({
    kind: 'pocketsphinx',
    ffmpeg: 'ffmpeg',
    concurrency: 2,
  });

  const send = (response: ServerResponse, { status, body }: Failure): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response
      .writeHead(status, {
        'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
        'content-length': Buffer.byteLength(text),
      })
      .end(text);
  };
  const refuse = (
    status: number,
    message: string,
    param: string,
    code: string,
    kind = 'validation_error',
  ): Failure =>
    flavor === 'kokoro'
      ? { status, body: { detail: { error: kind, message, type: 'invalid_request_error' } } }
      : openAiError(status, message, param, code);

  async function speak(
    json: Record<string, unknown>,
    response: ServerResponse,
    call: EngineCall,
  ): Promise<Failure | undefined> {
    const model = json.model ?? (flavor === 'kokoro' ? 'kokoro' : undefined);
    if (typeof model !== 'string' || !MODELS[flavor].includes(model))
      return refuse(
        400,
        `Unsupported model: ${String(model)}`,
        'model',
        'invalid_value',
        'invalid_model',
      );
    const format = json.response_format ?? 'mp3';
    const speed = json.speed ?? 1;
    const invalid =
      typeof json.input !== 'string' || json.input === ''
        ? ['input', 'Field required']
        : typeof format !== 'string' || !FORMATS.includes(format)
          ? ['response_format', `Input should be ${FORMATS.join(', ')}`]
          : typeof speed !== 'number' || speed < 0.25 || speed > 4
            ? ['speed', 'Input should be between 0.25 and 4']
            : undefined;
    if (invalid !== undefined)
      return flavor === 'kokoro'
        ? {
            status: 422,
            body: { detail: [{ type: 'value_error', loc: ['body', invalid[0]], msg: invalid[1] }] },
          }
        : openAiError(400, `Invalid '${invalid[0]}': ${invalid[1]}.`, invalid[0]!, 'invalid_value');
    const name =
      typeof json.voice === 'string'
        ? flavor === 'kokoro'
          ? (KOKORO_OPENAI_NAMES[json.voice] ?? json.voice)
          : json.voice
        : flavor === 'kokoro'
          ? 'af_heart'
          : '';
    const voice = voices[name];
    if (voice === undefined) {
      return flavor === 'kokoro'
        ? refuse(
            400,
            `Voice '${name}' not found. Available voices: ${Object.keys(voices).sort().join(', ')}`,
            'voice',
            '',
          )
        : openAiError(
            400,
            `Invalid value: '${name}'. Supported values are: ${Object.keys(voices)
              .map((key) => `'${key}'`)
              .join(', ')}.`,
            'voice',
            'invalid_value',
          );
    }
    const result = await speaker.synthesize(
      {
        model,
        input: json.input as string,
        voice,
        format: format as 'mp3',
        speed: speed as number,
      },
      call,
    );
    const cut = breaks > 0;
    if (cut) breaks -= 1;
    response.writeHead(200, {
      'content-type': result.contentType,
      'content-disposition': `attachment; filename=speech.${String(format)}`,
      'cache-control': 'no-cache',
    });
    for await (const chunk of result.audio) {
      if (cut) {
        // Cut once the headers and this chunk are on the wire.
        response.write(chunk, () => response.socket?.destroy());
        return undefined;
      }
      response.write(chunk);
    }
    response.end();
    return undefined;
  }

  async function transcribe(
    fields: Record<string, string[]>,
    file: RecordedAudioRequest['file'],
    call: EngineCall,
  ): Promise<Failure> {
    if (file === undefined)
      return openAiError(
        400,
        "Missing required parameter: 'file'.",
        'file',
        'missing_required_parameter',
      );
    if (fields.model?.[0] === undefined)
      return openAiError(400, 'you must provide a model parameter', null, null);
    const extension = /\.([a-z0-9]+)$/i.exec(file.filename)?.[1]?.toLowerCase() ?? '';
    if (!FILE_EXTENSIONS.includes(extension))
      return openAiError(
        400,
        `Invalid file format. Supported formats: ${JSON.stringify(FILE_EXTENSIONS)}`,
        'file',
        'invalid_value',
      );
    const format = fields.response_format?.[0] ?? 'json';
    if (!['json', 'text', 'srt', 'vtt', 'verbose_json'].includes(format))
      return openAiError(400, `Invalid value: '${format}'.`, 'response_format', 'invalid_value');
    const granularities = fields['timestamp_granularities[]'] ?? [];
    if (granularities.length > 0 && format !== 'verbose_json')
      return openAiError(
        400,
        'timestamp_granularities is only supported with response_format verbose_json.',
        'timestamp_granularities',
        'invalid_value',
      );
    let result: TranscriptionResult;
    try {
      result = await listener.transcribe(
        { model: fields.model[0], audio: file.bytes, timestamps: true },
        call,
      );
    } catch (error) {
      if (!(error instanceof EngineError) || error.failure !== 'bad_request') throw error;
      if (/silent|No speech/.test(error.message))
        result = { text: '', duration: 0, words: [], segments: [] };
      else
        return openAiError(
          400,
          'Audio file might be corrupted or unsupported',
          'file',
          'invalid_value',
        );
    }
    const { type, body } = transcriptBody(result, format, granularities);
    return { status: 200, body: type.startsWith('text/') ? body : JSON.parse(body) };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const [path = '/', query = ''] = (request.url ?? '/').split('?');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    if (request.method === 'GET' && path === '/v1/models') {
      return send(response, {
        status: 200,
        body: {
          object: 'list',
          data: [...MODELS[flavor], 'whisper-1'].map((id) => ({
            id,
            object: 'model',
            created: 1_686_935_002,
            owned_by: flavor,
          })),
        },
      });
    }
    if (request.method === 'GET' && path === '/v1/audio/voices' && flavor === 'kokoro') {
      const names = Object.keys(voices).sort();
      return send(response, {
        status: 200,
        body: {
          voices: query.includes('legacy=true') ? names : names.map((name) => ({ id: name, name })),
        },
      });
    }
    const isSpeech = request.method === 'POST' && path === '/v1/audio/speech';
    const isTranscription = request.method === 'POST' && path === '/v1/audio/transcriptions';
    if (!isSpeech && !isTranscription)
      return send(
        response,
        openAiError(404, `Invalid URL (${request.method} ${path})`, null, null),
      );
    const record: RecordedAudioRequest = { path };
    requests.push(record);
    const left = new AbortController();
    response.once('close', () => left.abort());
    const call: EngineCall = { signal: left.signal };
    if (isSpeech) {
      try {
        record.json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(
          response,
          openAiError(400, 'We could not parse the JSON body of your request.', '', ''),
        );
      }
    } else {
      const form = await new Request('http://double.local/', {
        method: 'POST',
        headers: { 'content-type': String(request.headers['content-type']) },
        body: raw,
      }).formData();
      record.fields = {};
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') (record.fields[name] ??= []).push(value);
        else if (name === 'file')
          record.file = { filename: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
      }
    }
    if (hangs > 0) {
      hangs -= 1;
      return;
    }
    const failure =
      failures.shift() ??
      (isSpeech
        ? await speak(record.json!, response, call)
        : await transcribe(record.fields!, record.file, call));
    if (failure !== undefined) send(response, failure);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        send(response, {
          status: 500,
          body: {
            error: { message: String(error), type: 'server_error', param: null, code: null },
          },
        });
      else response.destroy();
    });
  });
  const { origin, stop } = await listenOnLoopback(server);
  return {
    url: `${origin}/v1`,
    flavor,
    voices: Object.keys(voices).sort(),
    requests,
    failNext: (failure, times = 1) => {
      for (let turn = 0; turn < times; turn += 1) failures.push(failure);
    },
    hangNext: () => {
      hangs += 1;
    },
    breakNext: () => {
      breaks += 1;
    },
    down: stop,
    close: async () => {
      await stop();
      await Promise.all([speaker.close(), listener.close()]);
    },
  };
}
