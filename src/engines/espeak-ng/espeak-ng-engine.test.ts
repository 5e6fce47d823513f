// The espeak-ng engine on Debian's espeak-ng and ffmpeg: creation checks, streaming, abort, concurrency.
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../engine-error.ts';
import type { SpeechEngine, SpeechRequest } from '../engine.ts';
import { createEspeakNgEngine, rateOf } from './espeak-ng-engine.ts';

const config = {
  kind: 'espeak-ng' as const,
  command: 'espeak-ng',
  ffmpeg: 'ffmpeg',
  concurrency: 1,
};
const request: SpeechRequest = {
  model: 'tts',
  input: 'One sentence here. And a second one. And then a third.',
  voice: 'en-us',
  format: 'wav',
  speed: 1,
};

async function collect(
  engine: SpeechEngine,
  signal = new AbortController().signal,
  input = request,
): Promise<Buffer> {
  const { audio } = await engine.synthesize(input, { signal });
  const chunks: Buffer[] = [];
  for await (const chunk of audio) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Our own child processes still alive (espeak-ng or ffmpeg). */
function children(): string[] {
  const listing = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  });
  return listing
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /espeak|ffmpeg/.test(line));
}

describe('espeak-ng engine', () => {
  it('a missing binary is EngineError offline with the install hint', async () => {
    for (const missing of [
      { command: 'espeak-ng-not-installed' },
      { ffmpeg: '/nonexistent/ffmpeg' },
    ]) {
      await assert.rejects(
        createEspeakNgEngine({ ...config, ...missing }),
        (error: unknown) =>
          error instanceof EngineError &&
          error.failure === 'offline' &&
          error.message.includes('apt-get install -y espeak-ng ffmpeg'),
      );
    }
  });

  it('offers every installed voice unless configured; a configured voice that is not installed fails creation', async () => {
    const all = await createEspeakNgEngine(config);
    assert.ok(all.voices('tts').includes('en-us') && all.voices('tts').includes('de'));
    assert.deepEqual(all.formats('tts'), ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);
    assert.deepEqual(
      (await createEspeakNgEngine({ ...config, voices: ['en-gb', 'en-us+klatt'] })).voices('tts'),
      ['en-gb', 'en-us+klatt'],
    );
    await assert.rejects(
      createEspeakNgEngine({ ...config, voices: ['en-us', 'xx-nowhere'] }),
      (error: unknown) =>
        error instanceof EngineError &&
        error.failure === 'failed' &&
        error.message.includes('xx-nowhere'),
    );
    assert.deepEqual(await all.checkHealth(new AbortController().signal), {
      healthy: true,
      detail: 'espeak-ng and ffmpeg run',
    });
  });

  it('refuses a voice it does not offer as bad_request, before running anything', async () => {
    const engine = await createEspeakNgEngine({ ...config, voices: ['en-us'] });
    await assert.rejects(
      engine.synthesize({ ...request, voice: 'de' }, { signal: new AbortController().signal }),
      (error: unknown) => error instanceof EngineError && error.failure === 'bad_request',
    );
  });

  it("maps speed to espeak-ng's rate, with the rest as ffmpeg tempo outside 80..450 words per minute", () => {
    assert.deepEqual(rateOf(1), { wordsPerMinute: 175, tempo: 1 });
    assert.deepEqual(rateOf(2), { wordsPerMinute: 350, tempo: 1 });
    assert.equal(rateOf(0.25).wordsPerMinute, 80);
    assert.equal(rateOf(0.25).tempo, 43.75 / 80);
    assert.equal(rateOf(4).wordsPerMinute, 450);
    assert.equal(rateOf(4).tempo, 700 / 450);
  });

  it('text goes in on stdin: input that looks like options is spoken, not parsed', async () => {
    const engine = await createEspeakNgEngine(config);
    const audio = await collect(engine, undefined, {
      ...request,
      input: '--version -w /tmp/x --help',
    });
    assert.equal(audio.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.ok(audio.length > 24_000, `${audio.length} bytes`);
  });

  it('aborting the call kills espeak-ng and ffmpeg and rejects with the reason', async () => {
    const engine = await createEspeakNgEngine(config);
    const controller = new AbortController();
    const long = {
      ...request,
      input: Array.from(
        { length: 30 },
        (_, index) => `Sentence ${index} keeps the engine busy for a while longer.`,
      ).join(' '),
    };
    const { audio } = await engine.synthesize(long, { signal: controller.signal });
    const iterator = audio[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.ok(
      children().some((line) => line.includes('ffmpeg')),
      'ffmpeg runs while the audio streams',
    );
    const reason = new Error('client gone');
    controller.abort(reason);
    await assert.rejects(
      async () => {
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next());
      },
      (error: unknown) => error === reason,
    );
    assert.deepEqual(children(), []);
  });

  it('a reader that stops early leaves no process behind and frees the slot (concurrency 1)', async () => {
    const engine = await createEspeakNgEngine(config);
    const { audio } = await engine.synthesize(request, { signal: new AbortController().signal });
    for await (const _chunk of audio) break;
    assert.deepEqual(children(), []);
    // With the one slot still taken this would wait for ever.
    assert.ok((await collect(engine)).length > 0);
  });

  it('concurrency 1: parallel requests wait their turn and all succeed with the same audio', async () => {
    const engine = await createEspeakNgEngine(config);
    const results = await Promise.all([collect(engine), collect(engine), collect(engine)]);
    assert.ok(results.every((audio) => audio.equals(results[0]!)));
    assert.ok(results[0]!.length > 0);
  });

  it('a request aborted while waiting for a slot rejects without running', async () => {
    const engine = await createEspeakNgEngine(config);
    const { audio } = await engine.synthesize(request, { signal: new AbortController().signal });
    const holder = audio[Symbol.asyncIterator]();
    await holder.next();
    const controller = new AbortController();
    const waiting = collect(engine, controller.signal);
    controller.abort(new Error('gave up'));
    await assert.rejects(waiting, /gave up/);
    await holder.return?.(undefined);
    assert.deepEqual(children(), []);
  });
});
