// rialto-test: sqlite-only
// Speech to text and back, entirely through Rialto with the official openai client: POST /audio/speech on the
// real espeak-ng engine makes a WAV, and POST /audio/transcriptions on the real pocketsphinx engine hears it.
// Debian's espeak-ng, ffmpeg, pocketsphinx and pocketsphinx-en-us. JSON bodies are checked against the swagger.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toFile } from 'openai';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { wordAccuracy } from '../support/word-accuracy.ts';

/** The sentence audio-transcriptions.test.ts shows pocketsphinx hears well from espeak-ng's Klatt voice at 150 wpm. */
const SENTENCE = 'the president said the economy is growing';
/** espeak-ng speaks 175 words per minute at speed 1 (src/engines/espeak-ng/espeak-ng-engine.ts): 150 wpm, as that test speaks. */
const SPEED = 150 / 175;

describe('round trip: /audio/speech (espeak-ng) → /audio/transcriptions (pocketsphinx), openai client', () => {
  let rialto: TestRialto;
  let speech: Buffer;

  before(async () => {
    rialto = await startRialto({
      models: [
        // espeak-ng's Klatt voice: pocketsphinx's US English model recognises it far better than the default voice.
        {
          id: 'tts-espeak',
          type: 'tts',
          engine: { kind: 'espeak-ng', voices: ['en-us+klatt', 'en-us'], concurrency: 1 },
        },
        { id: 'asr-sphinx', type: 'asr', engine: { kind: 'pocketsphinx' } },
      ],
    });
    const spoken = await rialto.client.audio.speech.create({
      model: 'tts-espeak',
      voice: 'en-us+klatt',
      input: SENTENCE,
      response_format: 'wav',
      speed: SPEED,
    });
    assert.equal(spoken.headers.get('content-type'), 'audio/wav');
    assert.equal(spoken.headers.get('x-venice-model-id'), 'tts-espeak');
    speech = Buffer.from(await spoken.arrayBuffer());
  });
  after(async () => {
    await rialto?.close();
  });

  it('the WAV Rialto speaks is a RIFF/WAVE file of a few seconds', () => {
    assert.equal(speech.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(speech.subarray(8, 12).toString('latin1'), 'WAVE');
    // 16-bit mono at 24 kHz is 48 kB a second; seven words take well over one second and under ten.
    assert.ok(speech.length > 48_000 && speech.length < 480_000, `${speech.length} bytes`);
  });

  it('json: the transcript has most of the words spoken, with the model headers', async () => {
    const { data, response } = await rialto.client.audio.transcriptions
      .create({
        model: 'asr-sphinx',
        file: await toFile(speech, 'speech.wav'),
        response_format: 'json',
      })
      .withResponse();
    validateResponse({ method: 'POST', path: '/audio/transcriptions', status: 200, body: data });
    assert.equal(response.headers.get('x-venice-model-id'), 'asr-sphinx');
    assert.equal(response.headers.get('x-venice-model-router'), 'pocketsphinx');
    assert.ok(wordAccuracy(SENTENCE, data.text) >= 0.7, data.text);
  });

  it('verbose_json: most words, a duration within the audio, and word timings that spell out the text', async () => {
    const verbose = await rialto.client.audio.transcriptions.create({
      model: 'asr-sphinx',
      file: await toFile(speech, 'speech.wav'),
      response_format: 'verbose_json',
    });
    validateResponse({ method: 'POST', path: '/audio/transcriptions', status: 200, body: verbose });
    assert.ok(wordAccuracy(SENTENCE, verbose.text) >= 0.7, verbose.text);
    assert.ok(verbose.duration > 1 && verbose.duration < 10, String(verbose.duration));
    const words = verbose.words ?? [];
    assert.ok(words.length >= 4, JSON.stringify(words));
    assert.equal(words.map((entry) => entry.word).join(' '), verbose.text);
    for (const entry of words)
      assert.ok(
        entry.start >= 0 && entry.start < entry.end && entry.end <= verbose.duration,
        JSON.stringify(entry),
      );
  });
});
