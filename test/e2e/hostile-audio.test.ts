// rialto-test: sqlite-only
// Hostile audio on POST /audio/transcriptions (issue #15): a 4 KB WAV whose header says 1 sample a second, so it
// decodes (resampled to 16 kHz) to over an hour. Past mediaLimits.audio.maxSeconds ffmpeg stops and the request is
// 400 before anything is recognised, sent upstream or charged, on both the pocketsphinx and the upstream engine.
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import {
  startOpenAiAudioServer,
  type OpenAiAudioServer,
} from '../support/upstream/openai-audio-server.ts';
import { asrModel, ledgerDuring, PER_SECOND } from './upstream-audio-support.ts';
import { slowWav } from '../support/tone-wav.ts';

const PATH = '/audio/transcriptions';
const MAX_SECONDS = 600;

describe('POST /audio/transcriptions with audio that decodes past the cap', () => {
  let whisper: OpenAiAudioServer;
  let rialto: TestRialto;
  const bomb = slowWav(1, 4000);

  before(async () => {
    whisper = await startOpenAiAudioServer();
    rialto = await startRialto({
      mediaLimits: { audio: { maxSeconds: MAX_SECONDS } },
      models: [
        {
          id: 'asr-sphinx',
          type: 'asr',
          engine: { kind: 'pocketsphinx' },
          pricing: {
            input: { usd: 0, diem: 0 },
            output: { usd: 0, diem: 0 },
            per_audio_second: { usd: PER_SECOND, diem: PER_SECOND },
          },
        },
        asrModel('asr-whisper', whisper.url),
      ],
    });
  });
  after(async () => {
    await rialto?.close();
    await whisper?.close();
  });

  for (const model of ['asr-sphinx', 'asr-whisper']) {
    it(`${model}: a 4 KB WAV of 4000 s is 400 naming the cap, nothing sent upstream or charged, /health answering`, async () => {
      assert.equal(bomb.length, 4044);
      const sent = whisper.requests.length;
      const { added, spent } = await ledgerDuring(rialto, async () => {
        const body = new FormData();
        body.append('file', new Blob([bomb]), 'bomb.wav');
        body.append('model', model);
        const answer = fetch(`${rialto.baseURL}${PATH}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${rialto.inferenceKey}` },
          body,
        });
        assert.equal((await fetch(`${rialto.origin}/health`)).status, 200);
        const response = await answer;
        const error = (await response.json()) as {
          error: string;
          details?: { file?: { _errors: string[] } };
        };
        assert.equal(response.status, 400, JSON.stringify(error));
        validateResponse({ method: 'POST', path: PATH, status: 400, body: error });
        assert.equal(error.error, 'Invalid request parameters');
        assert.deepEqual(error.details?.file?._errors, [
          `The audio lasts more than ${MAX_SECONDS} seconds, the most transcribed in one request`,
        ]);
      });
      assert.equal(whisper.requests.length, sent);
      assert.deepEqual([added.length, spent], [0, 0]);
    });
  }

  it('speech under the cap is still transcribed', async () => {
    const speech = execFileSync('espeak-ng', [
      '-v',
      'en-us+klatt',
      '-s',
      '150',
      '--stdout',
      'the president said the economy is growing',
    ]);
    const body = new FormData();
    body.append('file', new Blob([speech]), 'speech.wav');
    body.append('model', 'asr-whisper');
    const response = await fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body,
    });
    const transcription = (await response.json()) as { text: string; duration: number };
    assert.equal(response.status, 200, JSON.stringify(transcription));
    assert.ok(
      transcription.duration > 1 && transcription.duration < 10,
      String(transcription.duration),
    );
  });
});

describe('POST /audio/transcriptions admits before it decodes', () => {
  let rialto: TestRialto;
  before(async () => {
    rialto = await startRialto({
      mediaLimits: { audio: { maxSeconds: MAX_SECONDS } },
      rateLimits: { enabled: true, overrides: { audio: { requestsPerMinute: 1 } } },
      models: [{ id: 'asr-sphinx', type: 'asr', engine: { kind: 'pocketsphinx' } }],
    });
  });
  after(async () => rialto?.close());

  it('a key past its audio rate limit gets its 429 without the file being decoded (it was the 400 of the decoded length)', async () => {
    const send = async (): Promise<{ status: number; body: { error: string } }> => {
      const body = new FormData();
      body.append('file', new Blob([slowWav(1, 4000)]), 'bomb.wav');
      body.append('model', 'asr-sphinx');
      const response = await fetch(`${rialto.baseURL}${PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${rialto.inferenceKey}` },
        body,
      });
      return { status: response.status, body: (await response.json()) as { error: string } };
    };
    // The first is admitted, decoded and refused for its length; the second is refused at admission.
    assert.equal((await send()).status, 400);
    const second = await send();
    assert.equal(second.status, 429, JSON.stringify(second.body));
    validateResponse({ method: 'POST', path: PATH, status: 429, body: second.body });
  });
});
