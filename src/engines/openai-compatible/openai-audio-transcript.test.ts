// The transcript answers of each upstream kind, in the shapes their sources write them, read into one result.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../engine-error.ts';
import { transcriptOf } from './openai-audio-transcript.ts';
import { voicesOf } from './openai-audio-voices.ts';

describe('transcriptOf', () => {
  it('OpenAI / speaches verbose_json: top-level words, segment text led by a space, trimmed', () => {
    // node_modules/openai/resources/audio/transcriptions.d.ts (TranscriptionVerbose); speaches api_types.py adds probability.
    const body = {
      task: 'transcribe',
      language: 'english',
      duration: 2.5,
      text: ' Hello there.  General Kenobi.',
      segments: [
        {
          id: 0,
          seek: 0,
          start: 0,
          end: 1.2,
          text: ' Hello there.',
          tokens: [50364, 2425],
          temperature: 0,
          avg_logprob: -0.2,
          compression_ratio: 0.9,
          no_speech_prob: 0.01,
        },
        {
          id: 1,
          seek: 0,
          start: 1.2,
          end: 2.6,
          text: ' General Kenobi.',
          tokens: [],
          temperature: 0,
          avg_logprob: -0.2,
          compression_ratio: 0.9,
          no_speech_prob: 0.01,
        },
      ],
      words: [
        { word: 'Hello', start: 0, end: 0.5, probability: 0.9 },
        { word: ' there', start: 0.5, end: 1.1 },
        { word: 'General', start: 1.3, end: 1.8 },
        { word: 'Kenobi', start: 1.8, end: 2.6 },
      ],
    };
    assert.deepEqual(transcriptOf(body, 2.5, true, 'up'), {
      text: 'Hello there. General Kenobi.',
      duration: 2.5,
      // The last end is clamped to Rialto's measure of the audio.
      segments: [
        { text: 'Hello there.', start: 0, end: 1.2 },
        { text: 'General Kenobi.', start: 1.2, end: 2.5 },
      ],
      words: [
        { word: 'Hello', start: 0, end: 0.5 },
        { word: 'there', start: 0.5, end: 1.1 },
        { word: 'General', start: 1.3, end: 1.8 },
        { word: 'Kenobi', start: 1.8, end: 2.5 },
      ],
    });
  });

  it("whisper.cpp's server: words from segments[].words tokens, pieces without a leading space joined", () => {
    // ggerganov/whisper.cpp examples/server/server.cpp, verbose_json: tokens as {word, start, end, t_dtw, probability}.
    const body = {
      task: 'transcribe',
      language: 'english',
      duration: 3,
      text: ' The economy is growing.',
      segments: [
        {
          id: 0,
          text: ' The economy is growing.',
          start: 0,
          end: 2.9,
          tokens: [440, 5010, 6623, 307, 4194, 13],
          temperature: 0,
          avg_logprob: -0.3,
          words: [
            { word: ' The', start: 0, end: 0.3, t_dtw: -1, probability: 0.9 },
            { word: ' econ', start: 0.3, end: 0.7, t_dtw: -1, probability: 0.8 },
            { word: 'omy', start: 0.7, end: 1.1, t_dtw: -1, probability: 0.9 },
            { word: ' is', start: 1.2, end: 1.4, t_dtw: -1, probability: 0.9 },
            { word: ' growing', start: 1.4, end: 2.6, t_dtw: -1, probability: 0.9 },
            { word: '.', start: 2.6, end: 2.9, t_dtw: -1, probability: 0.9 },
          ],
        },
      ],
    };
    const result = transcriptOf(body, 3, true, 'up');
    assert.deepEqual(result.words, [
      { word: 'The', start: 0, end: 0.3 },
      { word: 'economy', start: 0.3, end: 1.1 },
      { word: 'is', start: 1.2, end: 1.4 },
      { word: 'growing.', start: 1.4, end: 2.9 },
    ]);
    assert.deepEqual(result.segments, [{ text: 'The economy is growing.', start: 0, end: 2.9 }]);
  });

  it('LocalAI: segment times in nanoseconds (Go time.Duration) are read as such; no words', () => {
    // mudler/LocalAI core/schema/transcription.go: Start, End time.Duration; text at the top.
    const body = {
      segments: [
        { id: 0, start: 0, end: 1_500_000_000, text: 'first part', tokens: [1, 2] },
        { id: 1, start: 1_500_000_000, end: 3_200_000_000, text: 'second part', tokens: [] },
      ],
      text: 'first part second part',
    };
    assert.deepEqual(transcriptOf(body, 3.25, true, 'up'), {
      text: 'first part second part',
      duration: 3.25,
      segments: [
        { text: 'first part', start: 0, end: 1.5 },
        { text: 'second part', start: 1.5, end: 3.2 },
      ],
    });
  });

  it('without timestamps only text and duration; a plain-text answer is the text', () => {
    assert.deepEqual(
      transcriptOf({ text: 'hello', usage: { type: 'duration', seconds: 2 } }, 1.25, false, 'up'),
      { text: 'hello', duration: 1.25 },
    );
    assert.deepEqual(transcriptOf('hello world\n', 1.25, true, 'up'), {
      text: 'hello world',
      duration: 1.25,
    });
  });

  it('no words heard is bad_request; a 200 that only carries an error is an upstream failure (status 502)', () => {
    assert.throws(
      () => transcriptOf({ text: '  ', segments: [] }, 2, true, 'up'),
      (error: unknown) => error instanceof EngineError && error.failure === 'bad_request',
    );
    // whisper.cpp's server answers {"error":"failed to read WAV file"} with status 200.
    assert.throws(
      () => transcriptOf({ error: 'failed to read WAV file' }, 2, true, 'up'),
      (error: unknown) =>
        error instanceof EngineError &&
        error.failure === 'failed' &&
        error.options.status === 502 &&
        /failed to read WAV file/.test(error.message),
    );
  });
});

describe('voicesOf', () => {
  it("reads Kokoro-FastAPI's current and legacy voice lists, and nothing else", () => {
    assert.deepEqual(
      voicesOf({
        voices: [
          { id: 'af_heart', name: 'af_heart' },
          { id: 'bm_george', name: 'bm_george' },
        ],
      }),
      ['af_heart', 'bm_george'],
    );
    assert.deepEqual(voicesOf({ voices: ['af_heart', 'af_heart', 'am_adam'] }), [
      'af_heart',
      'am_adam',
    ]);
    assert.equal(voicesOf({ voices: [] }), undefined);
    assert.equal(voicesOf({ data: [] }), undefined);
    assert.equal(voicesOf('Not Found'), undefined);
  });
});
