// POST /video/transcriptions: a real MP4 with speech (espeak-ng's voice over ffmpeg's testsrc) served from
// 127.0.0.1 (allowed by fetch.allowHosts), its audio extracted with ffmpeg and transcribed by the pocketsphinx
// asr model (Debian's pocketsphinx-en-us); json and text answers, billing per audio second, and the errors.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { post, price, ZERO } from './jobs-support.ts';
import { wordAccuracy } from '../support/word-accuracy.ts';

const PATH = '/video/transcriptions';
const SENTENCE = 'the president said the economy is growing';
const PER_SECOND = 0.0001;

describe('POST /video/transcriptions (pocketsphinx)', () => {
  let rialto: TestRialto;
  let files: Server;
  let folder: string;
  let origin: string;

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'rialto-video-asr-'));
    const at = (name: string): string => join(folder, name);
    // espeak-ng's Klatt voice: pocketsphinx's US English model recognises it far better than the default voice.
    execFileSync('espeak-ng', ['-v', 'en-us+klatt', '-s', '150', '-w', at('speech.wav'), SENTENCE]);
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=4:size=160x90:rate=10',
      '-i',
      at('speech.wav'),
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      at('speech.mp4'),
    ]);
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=1:size=160x90:rate=10',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      at('mute.mp4'),
    ]);
    const served: Record<string, { type: string; body: Buffer }> = {
      '/speech.mp4': { type: 'video/mp4', body: readFileSync(at('speech.mp4')) },
      '/mute.mp4': { type: 'video/mp4', body: readFileSync(at('mute.mp4')) },
      '/garbage.mp4': {
        type: 'video/mp4',
        body: Buffer.from('this is not a video at all, just text pretending to be one'),
      },
      '/watch': { type: 'text/html', body: Buffer.from('<html><body>a video page</body></html>') },
    };
    files = createServer((request, response) => {
      const file = served[request.url ?? ''];
      if (file === undefined) response.writeHead(404).end();
      else
        response
          .writeHead(200, { 'content-type': file.type, 'content-length': file.body.length })
          .end(file.body);
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    rialto = await startRialto(
      {
        fetch: { allowHosts: ['127.0.0.1'] },
        models: [
          {
            id: 'asr-sphinx',
            type: 'asr',
            engine: { kind: 'pocketsphinx' },
            pricing: { input: ZERO, output: ZERO, per_audio_second: price(PER_SECOND) },
          },
        ],
      },
      { database: 'sqlite' },
    );
  });
  after(async () => {
    await rialto.close();
    await new Promise((resolve) => files.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  it('transcribes the speech of a video: {transcript, lang}, most words right, billed per second of audio', async () => {
    const response = await post(rialto, PATH, { url: `${origin}/speech.mp4` });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('x-venice-model-id'), 'asr-sphinx');
    const body = (await response.json()) as { transcript: string; lang: string };
    validateResponse({ method: 'POST', path: PATH, status: 200, body });
    assert.ok(wordAccuracy(SENTENCE, body.transcript) >= 0.7, body.transcript);
    assert.equal(body.lang, 'en');
    const records = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).filter(
      (record) => record.modelType === 'asr',
    );
    assert.equal(records.length, 1);
    assert.equal(records[0]!.status, 'completed');
    // The audio lasts a few seconds: its price is that many seconds at the asr model's rate.
    assert.ok(
      records[0]!.amount > toNanos(PER_SECOND) && records[0]!.amount < toNanos(5 * PER_SECOND),
      String(records[0]!.amount),
    );
  });

  it('response_format text: the transcript as text/plain', async () => {
    const response = await post(rialto, PATH, {
      url: `${origin}/speech.mp4`,
      response_format: 'text',
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    validateResponse({
      method: 'POST',
      path: PATH,
      status: 200,
      contentType: 'text/plain',
      body: text,
    });
    assert.ok(wordAccuracy(SENTENCE, text) >= 0.7, text);
  });

  it('a web page, an unreadable file, a missing file: 400 naming the url; a video without sound: 422; nothing charged', async () => {
    const before = (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).length;
    for (const path of ['/watch', '/garbage.mp4', '/missing.mp4']) {
      const response = await post(rialto, PATH, { url: `${origin}${path}` });
      assert.equal(response.status, 400, path);
      const body: unknown = await response.json();
      validateResponse({ method: 'POST', path: PATH, status: 400, body });
      if (path === '/garbage.mp4')
        assert.deepEqual(body, {
          error:
            'Invalid video format. Supported formats include MP4, MOV, WebM, MKV, AVI, and others.',
        });
      else assert.ok('url' in (body as { details: object }).details, JSON.stringify(body));
    }
    const mute = await post(rialto, PATH, { url: `${origin}/mute.mp4` });
    assert.equal(mute.status, 422);
    assert.match(
      ((await mute.json()) as { error: string }).error,
      /could not be processed for transcription/,
    );
    assert.equal(
      (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).length,
      before,
    );
  });

  it('strict body: an unknown key, no url or another format is a 400; no key is a 401', async () => {
    for (const request of [
      { url: `${origin}/speech.mp4`, language: 'en' },
      {},
      { url: `${origin}/speech.mp4`, response_format: 'srt' },
    ]) {
      const response = await post(rialto, PATH, request);
      assert.equal(response.status, 400, JSON.stringify(request));
      validateResponse({ method: 'POST', path: PATH, status: 400, body: await response.json() });
    }
    assert.equal((await post(rialto, PATH, { url: `${origin}/speech.mp4` }, null)).status, 401);
  });
});
