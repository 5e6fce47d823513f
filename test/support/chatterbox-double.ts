// A Chatterbox TTS server (travisvn/chatterbox-tts-api, FastAPI) on 127.0.0.1, written from its code:
// app/api/endpoints/voices.py (POST /v1/voices multipart voice_name + voice_file + language -> 201
// {message, voice:{name, filename, file_size, upload_date, language}}; .mp3 .wav .flac .m4a .ogg only, 10 MB;
// 409 for a name taken; GET /v1/voices {voices, count}; DELETE /v1/voices/{name} 200 or 404),
// app/api/endpoints/speech.py (POST /v1/audio/speech TTSRequest -> audio/wav; a voice not in the library falls
// back to the configured sample with only a printed warning), app/core/aliases.py (the /v1 aliases) and
// health.py. Errors are FastAPI's: {"detail": {"error": {message, type}}}, validation 422 {"detail": [...]}.
// The audio is a real WAV: a tone whose pitch follows the voice used, so a test can tell voices apart.
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { AddressInfo } from 'node:net';
import { toneWav } from './tone-wav.ts';

const SUPPORTED_VOICE_FORMATS = new Set(['.mp3', '.wav', '.flac', '.m4a', '.ogg']);
const MAX_VOICE_BYTES = 10 * 1024 * 1024;

export interface ChatterboxVoice {
  name: string;
  filename: string;
  sample: Buffer;
  language: string;
  uploadDate: string;
}

export interface ChatterboxSpeech {
  input: string;
  /** The library voice used, or 'default' for the configured sample (no voice, or a name not in the library). */
  voiceUsed: string;
  requestedVoice: string | undefined;
}

export interface ChatterboxDouble {
  url: string;
  /** The voice library, by name. */
  library: Map<string, ChatterboxVoice>;
  speeches: ChatterboxSpeech[];
  close(): Promise<void>;
}

function fastApiError(
  message: string,
  type: string,
): { detail: { error: { message: string; type: string } } } {
  return { detail: { error: { message, type } } };
}

/** 24 kHz mono 16-bit WAV (Chatterbox's rate): `seconds` of a tone at `hertz`. */
export function chatterboxWav(seconds: number, hertz: number): Buffer {
  return toneWav(seconds, { hertz, sampleRate: 24_000, amplitude: 6000 });
}

/** The pitch the double speaks a voice in: 220 Hz for the default sample, another for each library voice. */
export function pitchOf(voiceUsed: string): number {
  if (voiceUsed === 'default') return 220;
  let hash = 0;
  for (const character of voiceUsed) hash = (hash * 31 + character.charCodeAt(0)) % 500;
  return 300 + hash;
}

export async function startChatterboxDouble(): Promise<ChatterboxDouble> {
  const library = new Map<string, ChatterboxVoice>();
  const speeches: ChatterboxSpeech[] = [];
  const app: FastifyInstance = Fastify({ bodyLimit: 1024 * 1024 });
  await app.register(multipart, { limits: { fileSize: MAX_VOICE_BYTES + 1 } });

  for (const prefix of ['', '/v1']) {
    app.get(`${prefix === '' ? '' : prefix}/health`, async () => ({
      status: 'healthy',
      model_loaded: true,
    }));
    app.get(`${prefix}/voices`, async () => {
      const voices = [...library.values()].map((voice) => ({
        name: voice.name,
        filename: voice.filename,
        file_size: voice.sample.length,
        upload_date: voice.uploadDate,
        language: voice.language,
      }));
      return { voices, count: voices.length };
    });
    app.post(`${prefix}/voices`, async (request, reply) => {
      const fields: Record<string, string> = {};
      let file: { filename: string; bytes: Buffer } | undefined;
      for await (const part of request.parts()) {
        if (part.type === 'field') fields[part.fieldname] = String(part.value);
        else if (part.fieldname === 'voice_file')
          file = { filename: part.filename, bytes: await part.toBuffer() };
        else part.file.resume();
      }
      const name = fields.voice_name;
      if (name === undefined || name.length === 0 || name.length > 100 || file === undefined)
        return reply
          .code(422)
          .send({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] });
      const extension = /\.[^.]*$/.exec(file.filename.toLowerCase())?.[0] ?? '';
      if (!SUPPORTED_VOICE_FORMATS.has(extension))
        return reply
          .code(400)
          .send(fastApiError(`Unsupported audio format: ${extension}`, 'invalid_request_error'));
      if (file.bytes.length > MAX_VOICE_BYTES)
        return reply
          .code(400)
          .send(fastApiError('File too large. Maximum size: 10MB', 'invalid_request_error'));
      if (/[<>:"/\\|?*]/.test(name))
        return reply
          .code(400)
          .send(fastApiError('Voice name contains invalid characters', 'validation_error'));
      if (library.has(name))
        return reply
          .code(409)
          .send(fastApiError(`Voice '${name}' already exists`, 'voice_exists_error'));
      const voice: ChatterboxVoice = {
        name,
        filename: `${name}${extension}`,
        sample: file.bytes,
        language: fields.language ?? 'en',
        uploadDate: new Date().toISOString(),
      };
      library.set(name, voice);
      return reply.code(201).send({
        message: 'Voice uploaded successfully',
        voice: {
          name,
          filename: voice.filename,
          file_size: voice.sample.length,
          upload_date: voice.uploadDate,
          language: voice.language,
        },
      });
    });
    app.delete<{ Params: { name: string } }>(`${prefix}/voices/:name`, async (request, reply) => {
      const { name } = request.params;
      if (!library.delete(name))
        return reply
          .code(404)
          .send(fastApiError(`Voice '${name}' not found`, 'voice_not_found_error'));
      return { message: `Voice '${name}' deleted successfully`, deleted_voice: name };
    });
  }
  for (const path of ['/audio/speech', '/v1/audio/speech', '/tts']) {
    app.post(path, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const input = typeof body.input === 'string' ? body.input.trim() : '';
      if (input.length === 0 || input.length > 3000)
        return reply.code(422).send({
          detail: [{ type: 'string_too_long', loc: ['body', 'input'], msg: 'bad input' }],
        });
      const requestedVoice = typeof body.voice === 'string' ? body.voice : undefined;
      const voiceUsed =
        requestedVoice !== undefined && library.has(requestedVoice) ? requestedVoice : 'default';
      speeches.push({ input, voiceUsed, requestedVoice });
      const seconds = Math.min(10, 0.2 + input.length * 0.01);
      return reply.type('audio/wav').send(chatterboxWav(seconds, pitchOf(voiceUsed)));
    });
  }

  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    library,
    speeches,
    close: () => app.close(),
  };
}
