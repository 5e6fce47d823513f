// POST /audio/voices (#19) on a Chatterbox upstream (test/support/chatterbox-double.ts, written from
// travisvn/chatterbox-tts-api): docs/guides/media/voice-cloning.mdx's flow unchanged (clone with a multipart
// sample, then speak with the vv_ handle, as curl -F and the openai client send it), the handle tied to its
// account and model, the refusals (a sample in no accepted container, a model that cannot clone, a handle with
// another model or another account, 413 over 10 MB), DELETE of a voice and the sweep of expired ones: each
// removes the sample from the upstream's library and the row from the store. Bodies checked against the swagger.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaksIn, logCapture, markersInFiles } from '../support/secret-scan.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { type ChatterboxDouble, startChatterboxDouble } from '../support/chatterbox-double.ts';
import { toneWav } from '../support/tone-wav.ts';

const FREE = { input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } };
const SAMPLE = toneWav(6);

describe('POST /audio/voices (Chatterbox upstream)', () => {
  let chatterbox: ChatterboxDouble;
  let rialto: TestRialto;
  let otherKey: string;

  const clone = (
    parts: { model?: string; file?: Buffer; filename?: string },
    key = rialto.inferenceKey,
  ): Promise<Response> => {
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
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
  };
  const speak = (body: Record<string, unknown>, key = rialto.inferenceKey): Promise<Response> =>
    fetch(`${rialto.baseURL}/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const refused = async (response: Response, status: number, path: string): Promise<string> => {
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, status, JSON.stringify(body));
    validateResponse({ method: 'POST', path, status, body });
    return JSON.stringify(body);
  };

  before(async () => {
    chatterbox = await startChatterboxDouble();
    rialto = await startRialto({
      models: [
        {
          id: 'tts-chatterbox-hd',
          type: 'tts',
          engine: { kind: 'chatterbox', url: chatterbox.url },
          defaultFormat: 'wav',
          pricing: FREE,
        },
        {
          id: 'tts-chatterbox-second',
          type: 'tts',
          engine: { kind: 'chatterbox', url: chatterbox.url },
          defaultFormat: 'wav',
          pricing: FREE,
        },
        {
          id: 'tts-espeak',
          type: 'tts',
          engine: { kind: 'espeak-ng', voices: ['en-us'] },
          pricing: FREE,
        },
        {
          id: 'tts-chatterbox-down',
          type: 'tts',
          engine: { kind: 'chatterbox', url: 'http://127.0.0.1:1' },
          defaultFormat: 'wav',
          pricing: FREE,
        },
      ],
    });
    otherKey = (
      await rialto.keys.create({
        apiKeyType: 'INFERENCE',
        description: 'other',
        accountId: 'other',
      })
    ).apiKey;
  });
  after(async () => {
    await rialto?.close();
    await chatterbox?.close();
  });

  it('voice-cloning.mdx: clone with -F model -F file, then speak with the handle in the cloned voice', async () => {
    const created = await clone({ model: 'tts-chatterbox-hd', file: SAMPLE });
    const body = (await created.json()) as { id: string; model: string };
    assert.equal(created.status, 200, JSON.stringify(body));
    validateResponse({ method: 'POST', path: '/audio/voices', status: 200, body });
    assert.match(body.id, /^vv_[0-9a-f]{32}$/);
    assert.equal(body.model, 'tts-chatterbox-hd');
    assert.equal(chatterbox.library.size, 1);
    const [stored] = [...chatterbox.library.values()];
    assert.ok(stored?.sample.equals(SAMPLE), 'the sample reached the voice library unchanged');
    assert.equal(stored?.filename.endsWith('.wav'), true);

    for (const extra of [{}, { speed: 1 }]) {
      const speech = await speak({
        model: 'tts-chatterbox-hd',
        voice: body.id,
        input: 'Hello from Venice. This audio is generated with a cloned Chatterbox HD voice.',
        ...extra,
      });
      assert.equal(speech.status, 200, await speech.clone().text());
      assert.equal(speech.headers.get('content-type'), 'audio/wav');
      const audio = Buffer.from(await speech.arrayBuffer());
      assert.equal(audio.subarray(0, 4).toString('latin1'), 'RIFF');
      validateResponse({
        method: 'POST',
        path: '/audio/speech',
        status: 200,
        contentType: 'audio/wav',
        body: audio,
      });
      assert.equal(
        chatterbox.speeches.at(-1)?.voiceUsed,
        stored?.name,
        'spoken in the cloned voice',
      );
    }
    // The store keeps the mapping, not the sample.
    const record = await rialto.store.voices.find(body.id);
    assert.equal(record?.modelId, 'tts-chatterbox-hd');
    assert.equal(record?.accountId, 'default');
    assert.equal(record?.upstreamVoice, stored?.name);
    assert.ok(
      record !== undefined &&
        Date.parse(record.expiresAt) - Date.parse(record.createdAt) === 7 * 86_400_000,
    );
  });

  it('the openai client speaks with a handle; without one the default voice is used', async () => {
    const created = (await (await clone({ model: 'tts-chatterbox-hd', file: SAMPLE })).json()) as {
      id: string;
    };
    const speech = await rialto.client.audio.speech.create({
      model: 'tts-chatterbox-hd',
      voice: created.id,
      input: 'Spoken through the openai client.',
    });
    const audio = Buffer.from(await speech.arrayBuffer());
    assert.equal(audio.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.notEqual(chatterbox.speeches.at(-1)?.voiceUsed, 'default');

    const plain = await speak({ model: 'tts-chatterbox-hd', input: 'No voice named.' });
    assert.equal(plain.status, 200);
    await plain.arrayBuffer();
    assert.equal(chatterbox.speeches.at(-1)?.voiceUsed, 'default');
    assert.equal(chatterbox.speeches.at(-1)?.requestedVoice, undefined);
  });

  it('refuses a sample in no accepted container, before any upload', async () => {
    const before = chatterbox.library.size;
    for (const file of [Buffer.from('not audio at all, just text'), Buffer.alloc(0)]) {
      const text = await refused(
        await clone({ model: 'tts-chatterbox-hd', file, filename: 'voice.wav' }),
        400,
        '/audio/voices',
      );
      assert.match(text, /mp3, wav, flac, mp4/);
    }
    await refused(await clone({ model: 'tts-chatterbox-hd' }), 400, '/audio/voices');
    assert.equal(chatterbox.library.size, before);
  });

  it('accepts FLAC, MP3 and M4A samples by their bytes, telling the upstream their extension', async () => {
    const flac = Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(64)]);
    const mp3 = Buffer.concat([Buffer.from('ID3'), Buffer.alloc(64)]);
    const m4a = Buffer.concat([
      Buffer.from([0, 0, 0, 32]),
      Buffer.from('ftypM4A '),
      Buffer.alloc(64),
    ]);
    for (const [file, extension] of [
      [flac, '.flac'],
      [mp3, '.mp3'],
      [m4a, '.m4a'],
    ] as const) {
      const created = await clone({ model: 'tts-chatterbox-hd', file, filename: 'sample.bin' });
      const body = (await created.json()) as { id: string };
      assert.equal(created.status, 200, JSON.stringify(body));
      const record = await rialto.store.voices.find(body.id);
      assert.equal(
        chatterbox.library.get(record?.upstreamVoice ?? '')?.filename.endsWith(extension),
        true,
      );
    }
  });

  it('GET /models?type=tts advertises voice_cloning on the Chatterbox models only', async () => {
    const response = await fetch(`${rialto.baseURL}/models?type=tts`, {
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
    });
    const body = (await response.json()) as {
      data: { id: string; model_spec: { voice_cloning?: unknown } }[];
    };
    assert.equal(response.status, 200);
    validateResponse({ method: 'GET', path: '/models', status: 200, body });
    const cloning = Object.fromEntries(
      body.data.map((model) => [model.id, model.model_spec.voice_cloning]),
    );
    assert.deepEqual(cloning['tts-chatterbox-hd'], {
      mode: 'zero_shot',
      accepted_formats: ['mp3', 'wav', 'flac', 'mp4'],
      min_sample_seconds: 5,
      retention_days: 7,
    });
    assert.equal(cloning['tts-espeak'], undefined);
  });

  it('refuses a model that cannot clone, and an unknown model', async () => {
    const text = await refused(
      await clone({ model: 'tts-espeak', file: SAMPLE }),
      400,
      '/audio/voices',
    );
    assert.match(text, /does not support voice cloning/);
    const missing = await clone({ model: 'tts-nowhere', file: SAMPLE });
    assert.equal(missing.status, 404);
  });

  it('a handle works only with its model and its account', async () => {
    const { id } = (await (await clone({ model: 'tts-chatterbox-hd', file: SAMPLE })).json()) as {
      id: string;
    };
    const spoken = chatterbox.speeches.length;
    const otherModel = await refused(
      await speak({ model: 'tts-chatterbox-second', voice: id, input: 'Wrong model.' }),
      400,
      '/audio/speech',
    );
    assert.match(otherModel, /was created with model tts-chatterbox-hd/);
    const otherAccount = await refused(
      await speak({ model: 'tts-chatterbox-hd', voice: id, input: 'Not mine.' }, otherKey),
      400,
      '/audio/speech',
    );
    assert.match(otherAccount, /does not exist or has expired/);
    const unknown = await refused(
      await speak({ model: 'tts-chatterbox-hd', voice: `vv_${'0'.repeat(32)}`, input: 'Nobody.' }),
      400,
      '/audio/speech',
    );
    assert.match(unknown, /does not exist/);
    assert.equal(chatterbox.speeches.length, spoken, 'no refused request reached the upstream');
  });

  it('an unreachable Chatterbox is a 5xx Venice error (not 500) naming no URL', async () => {
    const response = await clone({ model: 'tts-chatterbox-down', file: SAMPLE });
    const text = await response.text();
    assert.ok(response.status > 500, `${response.status} ${text}`);
    assert.doesNotMatch(text, /127\.0\.0\.1:1\b|stack/);
    const speech = await speak({ model: 'tts-chatterbox-down', input: 'Nobody home.' });
    assert.ok(speech.status > 500, String(speech.status));
    await speech.arrayBuffer();
  });

  it('a sample over 10 MB is 413', async () => {
    const big = Buffer.concat([SAMPLE, Buffer.alloc(10 * 1024 * 1024)]);
    const response = await clone({ model: 'tts-chatterbox-hd', file: big });
    assert.equal(response.status, 413);
    await response.arrayBuffer();
  });

  it('DELETE /audio/voices/{id} removes the sample upstream and the handle; only its owner may', async () => {
    const { id } = (await (await clone({ model: 'tts-chatterbox-hd', file: SAMPLE })).json()) as {
      id: string;
    };
    const name = (await rialto.store.voices.find(id))?.upstreamVoice ?? '';
    assert.ok(chatterbox.library.has(name));
    const remove = (key: string): Promise<Response> =>
      fetch(`${rialto.baseURL}/audio/voices/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${key}` },
      });
    const notOwner = await remove(otherKey);
    assert.equal(notOwner.status, 404);
    await notOwner.arrayBuffer();
    assert.ok(chatterbox.library.has(name));
    const deleted = await remove(rialto.inferenceKey);
    assert.equal(deleted.status, 200);
    assert.deepEqual(await deleted.json(), { id, deleted: true });
    assert.equal(chatterbox.library.has(name), false);
    assert.equal(await rialto.store.voices.find(id), undefined);
    await refused(
      await speak({ model: 'tts-chatterbox-hd', voice: id, input: 'Gone.' }),
      400,
      '/audio/speech',
    );
    const again = await remove(rialto.inferenceKey);
    assert.equal(again.status, 404);
    await again.arrayBuffer();
  });

  it('an expired voice is refused and its sample deleted upstream', async () => {
    const { id } = (await (await clone({ model: 'tts-chatterbox-hd', file: SAMPLE })).json()) as {
      id: string;
    };
    const record = await rialto.store.voices.find(id);
    assert.ok(record !== undefined);
    // Expired: the same row with a past expiry.
    await rialto.store.voices.delete(id);
    await rialto.store.voices.insert({ ...record, expiresAt: '2000-01-01T00:00:00.000Z' });
    await refused(
      await speak({ model: 'tts-chatterbox-hd', voice: id, input: 'Expired.' }),
      400,
      '/audio/speech',
    );
    assert.equal(chatterbox.library.has(record.upstreamVoice), false);
    assert.equal(await rialto.store.voices.find(id), undefined);

    // And the sweep each create runs removes expired voices nobody touches.
    const second = (await (await clone({ model: 'tts-chatterbox-hd', file: SAMPLE })).json()) as {
      id: string;
    };
    const row = await rialto.store.voices.find(second.id);
    assert.ok(row !== undefined);
    await rialto.store.voices.delete(second.id);
    await rialto.store.voices.insert({ ...row, expiresAt: '2000-01-01T00:00:00.000Z' });
    const third = await clone({ model: 'tts-chatterbox-hd', file: SAMPLE });
    assert.equal(third.status, 200);
    await third.arrayBuffer();
    assert.equal(chatterbox.library.has(row.upstreamVoice), false);
    assert.equal(await rialto.store.voices.find(second.id), undefined);
  });
});

// The privacy scan for voices (as test/e2e/privacy.test.ts does for the other endpoints): a sample carrying a
// fresh marker, cloned and spoken with at trace level, is in no log line and no byte of the data folder, while the
// upstream's library holds it until the voice is deleted.
describe("POST /audio/voices: the sample is the client's data", () => {
  let chatterbox: ChatterboxDouble;
  let rialto: TestRialto;
  let dataDirectory: string;
  const logs = logCapture();
  const marker = `voicesample${randomBytes(9).toString('hex')}`;
  const spoken = `voiceinput${randomBytes(9).toString('hex')}`;

  before(async () => {
    chatterbox = await startChatterboxDouble();
    dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-voices-privacy-'));
    rialto = await startRialto(
      {
        dataDirectory,
        logLevel: 'trace',
        models: [
          {
            id: 'tts-chatterbox-hd',
            type: 'tts',
            engine: { kind: 'chatterbox', url: chatterbox.url },
            defaultFormat: 'wav',
            pricing: FREE,
          },
        ],
      },
      { logStream: logs.stream, database: 'sqlite' },
    );
  });
  after(async () => {
    await rialto?.close();
    await chatterbox?.close();
    if (dataDirectory !== undefined) rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('is in no log line and no file of the data folder; DELETE removes it upstream', async () => {
    const sample = Buffer.concat([SAMPLE, Buffer.from(marker)]);
    const form = new FormData();
    form.set('model', 'tts-chatterbox-hd');
    form.set('file', new Blob([new Uint8Array(sample)]), `${marker}.wav`);
    const created = await fetch(`${rialto.baseURL}/audio/voices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body: form,
    });
    const { id } = (await created.json()) as { id: string };
    assert.equal(created.status, 200);
    const speech = await fetch(`${rialto.baseURL}/audio/speech`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'tts-chatterbox-hd', voice: id, input: spoken }),
    });
    assert.equal(speech.status, 200);
    await speech.arrayBuffer();
    assert.ok(
      [...chatterbox.library.values()].some((voice) => voice.sample.includes(marker)),
      'the upstream library holds the sample while the voice exists',
    );
    assert.match(logs.text(), /incoming request/, 'trace-level request lines were written');
    assert.deepEqual(leaksIn(logs.text(), { marker, spoken }), []);
    assert.deepEqual(markersInFiles(dataDirectory, { marker, spoken }), []);

    const deleted = await fetch(`${rialto.baseURL}/audio/voices/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
    });
    assert.equal(deleted.status, 200);
    await deleted.arrayBuffer();
    assert.equal(chatterbox.library.size, 0, 'the sample is gone from the upstream');
  });
});
