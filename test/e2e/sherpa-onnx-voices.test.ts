// POST /audio/voices (#19) on sherpa-onnx's zero-shot Pocket TTS, a tiny random-weight one run by the real
// sherpa-onnx (test/fixtures/tiny-pocket-tts.ts): docs/guides/media/voice-cloning.mdx's flow unchanged (its
// requests name tts-chatterbox-hd, here an alias of the Pocket model, as a Venice model name is mapped to a local
// one), through plain HTTP as curl -F sends it and the openai client; the sample kept decoded under
// <dataDirectory>/voices and spoken with; GET /models' voice_cloning; the refusals (a sample that is no audio or does
// not decode, a model that cannot clone, a handle with another model); DELETE and expiry removing the stored sample;
// and the privacy scan (the sample and the text in no log line, the upload in no file). Bodies checked against the
// swagger. The audio is noise from random weights: nothing here listens for a voice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_POCKET_VOICES, tinyPocketTtsFolder } from '../fixtures/tiny-pocket-tts.ts';
import { leaksIn, logCapture, markersInFiles } from '../support/secret-scan.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { toneWav } from '../support/tone-wav.ts';
import { AudioFolder } from './upstream-audio-support.ts';

const FREE = { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } };
const SAMPLE = toneWav(6, { hertz: 210 });
/** What the stored sample of a 6 s upload is: 6 s of 24 kHz float32. */
const STORED_BYTES = 6 * 24_000 * 4;

function pocket(id: string, path: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    type: 'tts',
    engine: { kind: 'sherpa-onnx', family: 'pocket', path, threads: 1, maxConcurrency: 2 },
    defaultFormat: 'wav',
    pricing: FREE,
    ...extra,
  };
}

interface Harness {
  rialto: TestRialto;
  dataDirectory: string;
}

async function startWithPocket(logs?: ReturnType<typeof logCapture>): Promise<Harness> {
  const folder = await tinyPocketTtsFolder();
  const dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-pocket-voices-'));
  const rialto = await startRialto(
    {
      dataDirectory,
      ...(logs === undefined ? {} : { logLevel: 'trace' }),
      models: [
        pocket('tts-pocket', folder, { aliases: ['tts-chatterbox-hd'] }),
        pocket('tts-pocket-second', folder),
        {
          id: 'tts-espeak',
          type: 'tts',
          engine: { kind: 'espeak-ng', voices: ['en-us'] },
          pricing: FREE,
        },
      ],
    },
    logs === undefined ? {} : { logStream: logs.stream },
  );
  return { rialto, dataDirectory };
}

/** The stored samples: the files of <dataDirectory>/voices. */
function storedSamples(dataDirectory: string): string[] {
  const folder = join(dataDirectory, 'voices');
  return existsSync(folder) ? readdirSync(folder) : [];
}

describe('POST /audio/voices (sherpa-onnx Pocket TTS, zero-shot)', () => {
  let harness: Harness;
  let rialto: TestRialto;
  let audioFiles: AudioFolder;

  const clone = (parts: {
    model?: string;
    file?: Buffer;
    filename?: string;
  }): Promise<Response> => {
    const form = new FormData();
    if (parts.model !== undefined) form.set('model', parts.model);
    if (parts.file !== undefined)
      form.set(
        'file',
        new Blob([new Uint8Array(parts.file)]),
        parts.filename ?? 'reference-voice.wav',
      );
    return fetch(`${rialto.baseURL}/audio/voices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body: form,
    });
  };
  const cloned = async (model = 'tts-pocket'): Promise<string> => {
    const response = await clone({ model, file: SAMPLE });
    const body = (await response.json()) as { id: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.id;
  };
  const speak = (body: Record<string, unknown>): Promise<Response> =>
    fetch(`${rialto.baseURL}/audio/speech`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
  const wav = async (response: Response): Promise<Buffer> => {
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    const audio = Buffer.from(await response.arrayBuffer());
    validateResponse({
      method: 'POST',
      path: '/audio/speech',
      status: 200,
      contentType: 'audio/wav',
      body: audio,
    });
    assert.equal(audio.subarray(0, 4).toString('latin1'), 'RIFF');
    return audio;
  };
  const refused = async (response: Response, status: number, path: string): Promise<string> => {
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, status, JSON.stringify(body));
    validateResponse({ method: 'POST', path, status, body });
    return JSON.stringify(body);
  };
  const storedFileOf = async (id: string): Promise<string> => {
    const record = await rialto.store.voices.find(id);
    assert.ok(record !== undefined);
    return join(harness.dataDirectory, 'voices', `${record.upstreamVoice}.f32`);
  };

  before(async () => {
    harness = await startWithPocket();
    rialto = harness.rialto;
    audioFiles = new AudioFolder();
  });
  after(async () => {
    await rialto?.close();
    audioFiles?.remove();
    if (harness !== undefined) rmSync(harness.dataDirectory, { recursive: true, force: true });
  });

  it('voice-cloning.mdx: clone with -F model -F file, then speak with the handle, as the guide sends them', async () => {
    // Step 1, as curl -F "model=tts-chatterbox-hd" -F "file=@./reference-voice.wav" sends it.
    const created = await clone({ model: 'tts-chatterbox-hd', file: SAMPLE });
    const body = (await created.json()) as { id: string; model: string };
    assert.equal(created.status, 200, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/audio/voices', status: 200, body });
    assert.match(body.id, /^vv_[0-9a-f]{32}$/);
    assert.equal(body.model, 'tts-pocket');
    assert.equal(statSync(await storedFileOf(body.id)).size, STORED_BYTES);

    // Step 2 and the complete example (with "speed": 1): WAV, the model's default format.
    const step2 = await wav(
      await speak({
        model: 'tts-chatterbox-hd',
        voice: body.id,
        input: 'Hello from Venice. This audio is generated with a cloned Chatterbox HD voice.',
      }),
    );
    const complete = await wav(
      await speak({
        model: 'tts-chatterbox-hd',
        voice: body.id,
        input: 'This is a complete Chatterbox HD voice cloning example.',
        speed: 1,
      }),
    );
    for (const audio of [step2, complete])
      assert.ok(audioFiles.inspect(audio, 'wav').seconds > 0.5, 'seconds of audio');
    // The same text in the model's own voice is other audio: the cloned sample was the reference.
    const input = 'This is a complete Chatterbox HD voice cloning example.';
    const own = await wav(await speak({ model: 'tts-pocket', voice: 'bria', input }));
    assert.equal(own.length, complete.length);
    assert.equal(own.equals(complete), false, 'spoken in the cloned voice');
    const record = await rialto.store.voices.find(body.id);
    assert.ok(
      record !== undefined &&
        Date.parse(record.expiresAt) - Date.parse(record.createdAt) === 7 * 86_400_000,
    );
  });

  it('the openai client speaks with a handle, also streamed; without a voice the first sample speaks', async () => {
    const id = await cloned();
    const input = 'Hello world. This is the voice from Venice. Hello Rialto.';
    const speech = await rialto.client.audio.speech.create({
      model: 'tts-pocket',
      voice: id,
      input,
    });
    assert.equal(speech.headers.get('content-type'), 'audio/wav');
    const whole = Buffer.from(await speech.arrayBuffer());
    assert.equal(whole.subarray(0, 4).toString('latin1'), 'RIFF');

    const streamed = await speak({ model: 'tts-pocket', voice: id, input, streaming: true });
    assert.equal(streamed.status, 200);
    assert.equal(streamed.headers.get('transfer-encoding'), 'chunked');
    const chunks: Buffer[] = [];
    for await (const chunk of streamed.body ?? []) chunks.push(Buffer.from(chunk));
    assert.ok(Buffer.concat(chunks).equals(whole), 'streamed, the same audio');

    const plain = await wav(await speak({ model: 'tts-pocket', input: 'No voice named.' }));
    const bria = await wav(
      await speak({ model: 'tts-pocket', voice: 'bria', input: 'No voice named.' }),
    );
    assert.ok(plain.equals(bria), 'no voice: the first of the model voices');
  });

  it('GET /models?type=tts advertises voice_cloning and the sample voices on the Pocket models only', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=tts`, {
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
    });
    const body = (await response.json()) as {
      data: { id: string; model_spec: { voice_cloning?: unknown; voices?: string[] } }[];
    };
    assert.equal(response.status, 200);
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    const spec = Object.fromEntries(body.data.map((model) => [model.id, model.model_spec]));
    assert.deepEqual(spec['tts-pocket']?.voice_cloning, {
      mode: 'zero_shot',
      accepted_formats: ['mp3', 'wav', 'flac', 'mp4'],
      min_sample_seconds: 5,
      retention_days: 7,
    });
    assert.deepEqual(spec['tts-pocket']?.voices, TINY_POCKET_VOICES);
    assert.equal(spec['tts-espeak']?.voice_cloning, undefined);
  });

  it('refuses a sample that is no audio or does not decode, keeping nothing', async () => {
    const before = storedSamples(harness.dataDirectory);
    const text = await refused(
      await clone({ model: 'tts-pocket', file: Buffer.from('not audio at all, just text') }),
      400,
      '/audio/voices',
    );
    assert.match(text, /mp3, wav, flac, mp4/);
    const broken = Buffer.concat([
      Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'),
      Buffer.alloc(64, 7),
    ]);
    const undecodable = await refused(
      await clone({ model: 'tts-pocket', file: broken }),
      400,
      '/audio/voices',
    );
    assert.match(undecodable, /"path":\["file"\]/);
    assert.match(undecodable, /could not be decoded as audio/);
    assert.doesNotMatch(
      undecodable,
      new RegExp(harness.dataDirectory),
      'no path of the data folder',
    );
    assert.deepEqual(storedSamples(harness.dataDirectory), before);
  });

  it('refuses a model that cannot clone, and a handle with another model', async () => {
    const text = await refused(
      await clone({ model: 'tts-espeak', file: SAMPLE }),
      400,
      '/audio/voices',
    );
    assert.match(text, /does not support voice cloning/);
    const id = await cloned();
    for (const model of ['tts-pocket-second', 'tts-espeak']) {
      const otherModel = await refused(
        await speak({ model, voice: id, input: 'Wrong model.' }),
        400,
        '/audio/speech',
      );
      assert.match(otherModel, /was created with model tts-pocket/);
    }
    await refused(
      await speak({ model: 'tts-pocket', voice: `vv_${'0'.repeat(32)}`, input: 'Nobody.' }),
      400,
      '/audio/speech',
    );
  });

  it('DELETE /audio/voices/{id} removes the stored sample and the handle', async () => {
    const id = await cloned();
    const file = await storedFileOf(id);
    assert.ok(existsSync(file));
    const remove = (): Promise<Response> =>
      fetch(`${rialto.baseURL}/audio/voices/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      });
    const deleted = await remove();
    assert.equal(deleted.status, 200);
    assert.deepEqual(await deleted.json(), { id, deleted: true });
    assert.equal(existsSync(file), false, 'the sample is gone from the data folder');
    assert.equal(await rialto.store.voices.find(id), undefined);
    await refused(
      await speak({ model: 'tts-pocket', voice: id, input: 'Gone.' }),
      400,
      '/audio/speech',
    );
    const again = await remove();
    assert.equal(again.status, 404);
    await again.arrayBuffer();
  });

  it('an expired voice is refused and its stored sample deleted', async () => {
    const id = await cloned();
    const file = await storedFileOf(id);
    const record = await rialto.store.voices.find(id);
    assert.ok(record !== undefined);
    await rialto.store.voices.delete(id);
    await rialto.store.voices.insert({ ...record, expiresAt: '2000-01-01T00:00:00.000Z' });
    await refused(
      await speak({ model: 'tts-pocket', voice: id, input: 'Expired.' }),
      400,
      '/audio/speech',
    );
    assert.equal(existsSync(file), false);
    assert.equal(await rialto.store.voices.find(id), undefined);
  });
});

// The privacy scan for stored samples (as audio-voices.test.ts does for Chatterbox): an upload carrying a marker,
// cloned and spoken with at trace level, is in no log line and no file (only its decoded audio is kept), the text in
// neither; the data folder holds one stored sample while the voice exists and none after DELETE.
describe('POST /audio/voices on Pocket TTS: the sample is the client data', () => {
  let harness: Harness;
  const logs = logCapture();
  const marker = `voicesample${randomBytes(9).toString('hex')}`;
  const spoken = `voiceinput${randomBytes(9).toString('hex')}`;

  before(async () => {
    harness = await startWithPocket(logs);
  });
  after(async () => {
    await harness?.rialto.close();
    if (harness !== undefined) rmSync(harness.dataDirectory, { recursive: true, force: true });
  });

  it('is in no log line and no file; the stored sample is deleted with the voice', async () => {
    const { rialto, dataDirectory } = harness;
    const headers = { authorization: `Bearer ${rialto.inferenceKey}` };
    const form = new FormData();
    form.set('model', 'tts-pocket');
    form.set(
      'file',
      new Blob([new Uint8Array(Buffer.concat([SAMPLE, Buffer.from(marker)]))]),
      `${marker}.wav`,
    );
    const created = await fetch(`${rialto.baseURL}/audio/voices`, {
      method: 'POST',
      headers,
      body: form,
    });
    const { id } = (await created.json()) as { id: string };
    assert.equal(created.status, 200);
    const speech = await fetch(`${rialto.baseURL}/audio/speech`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-pocket', voice: id, input: `Hello ${spoken}.` }),
    });
    assert.equal(speech.status, 200);
    await speech.arrayBuffer();
    assert.equal(
      storedSamples(dataDirectory).length,
      1,
      'one stored sample while the voice exists',
    );
    assert.match(logs.text(), /incoming request/, 'trace-level request lines were written');
    assert.deepEqual(leaksIn(logs.text(), { marker, spoken }), []);
    assert.deepEqual(markersInFiles(dataDirectory, { marker, spoken }), []);

    const deleted = await fetch(`${rialto.baseURL}/audio/voices/${id}`, {
      method: 'DELETE',
      headers,
    });
    assert.equal(deleted.status, 200);
    await deleted.arrayBuffer();
    assert.deepEqual(storedSamples(dataDirectory), [], 'no sample left in the data folder');
  });
});
