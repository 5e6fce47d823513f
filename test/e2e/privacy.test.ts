// Issue #10.5: Rialto keeps no prompt and no output unless the operator turns content logging on. Markers made
// fresh each run go through every endpoint that takes content — chat (JSON, stream, a file part, web search, a
// character, an upstream failure that quotes the prompt back), responses (JSON, stream), embeddings, speech,
// transcriptions, image generation (prompt, negative prompt), augment search, scrape and text-parser, and a video
// job — with logLevel 'trace'; upstreams answer with markers of their own (outputs). Then everything logged and
// every byte of the data folder (SQLite database, WAL, shared memory, job media) is searched. What Rialto keeps
// by design: a character's persona (the operator's data), and a video job's request until the job is deleted
// with /video/complete (or fails) — asserted present before and gone after, in the rows and, once the store is
// closed, in the raw file. Usage records hold ids, counts and costs only. With logging.includeContent on, the
// marker is in the log (so the scan can fail).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { leaksIn, logCapture, markersInFiles } from '../support/secret-scan.ts';
import { startEchoUpstream, type EchoUpstream } from '../support/upstream/echo-upstream-server.ts';
import {
  startAutomatic1111Server,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';
import { startSearxngServer, type SearchServer } from '../support/upstream/search-servers.ts';
import { FAIL_MARKERS, VeniceJobsServer } from '../support/upstream/venice-jobs-server.ts';
import { toneWav } from '../support/tone-wav.ts';

const marker = (name: string): string => `${name}${randomBytes(9).toString('hex')}`;
const FREE = { usd: 0, diem: 0 };
const VIDEO = {
  aspect_ratios: ['16:9'],
  resolutions: ['720p'],
  durations: ['5s'],
  model_type: 'text-to-video',
  audio: false,
  audio_configurable: false,
  prompt_character_limit: 500,
};

/** What clients send (inputs) and upstreams answer (outputs); each must end up nowhere. */
const CONTENT = {
  chat: marker('chatprompt'),
  chatStream: marker('chatstream'),
  filePart: marker('filepart'),
  webSearch: marker('websearch'),
  characterUser: marker('characteruser'),
  failure: marker('failedprompt'),
  responses: marker('responsesinput'),
  responsesStream: marker('responsesstream'),
  embedding: marker('embeddinginput'),
  speech: marker('speechinput'),
  imagePrompt: marker('imageprompt'),
  negativePrompt: marker('negativeprompt'),
  searchQuery: marker('searchquery'),
  document: marker('documenttext'),
  page: marker('scrapedpage'),
  invalid: marker('invalidrequest'),
  modelOutput: marker('modeloutput'),
};
/** Kept by design: the operator's persona; a video job's prompt until the job is deleted (or fails). */
const PERSONA = marker('persona');
const VIDEO_PROMPT = marker('videoprompt');
const FAILED_VIDEO_PROMPT = marker('failedvideo');

describe('privacy: no prompt or output is kept', () => {
  let rialto: TestRialto;
  let dataDirectory: string;
  let echo: EchoUpstream;
  let a1111: Automatic1111Server;
  let searxng: SearchServer;
  let venice: VeniceJobsServer;
  let pages: Server;
  let pagesOrigin: string;
  const logs = logCapture();

  before(async () => {
    echo = await startEchoUpstream(`The answer is ${CONTENT.modelOutput}.`);
    [a1111, searxng, venice] = await Promise.all([
      startAutomatic1111Server(),
      startSearxngServer(),
      VeniceJobsServer.start({ pollsUntilDone: 1 }),
    ]);
    pages = createServer((_request, response) => {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<html><head><title>Lagoon</title></head><body><article><h1>The lagoon</h1><p>A page about the lagoon that only says ${CONTENT.page} and little else, in a paragraph long enough to be the article.</p></article></body></html>`,
        );
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-privacy-'));
    const upstream = (
      type: string,
      id: string,
      model: string,
      extra: Record<string, unknown> = {},
    ): Record<string, unknown> => ({
      id,
      type,
      engine: { kind: 'openai-compatible', model, endpoints: [{ url: echo.url }] },
      pricing: { input: FREE, output: FREE, per_audio_second: FREE },
      ...extra,
    });
    rialto = await startRialto(
      {
        dataDirectory,
        logLevel: 'trace',
        systemPrompt: 'Operator prompt.',
        fetch: { allowHosts: ['127.0.0.1'] },
        contentSafety: { classifier: 'none' },
        jobs: { pollIntervalMs: 50 },
        augment: { search: [{ kind: 'searxng', url: searxng.url }] },
        models: [
          upstream('text', 'chatty', 'echo-chat', {
            pricing: { input: { usd: 1, diem: 1 }, output: { usd: 2, diem: 2 } },
          }),
          upstream('embedding', 'embedder', 'echo-embed'),
          upstream('tts', 'speaker', 'tts-1', { voices: ['alloy'] }),
          upstream('asr', 'listener', 'whisper-1'),
          {
            id: 'painter',
            type: 'image',
            engine: { kind: 'automatic1111', endpoints: [{ url: a1111.url }] },
            pricing: { input: FREE, output: FREE, generation: { usd: 0.01, diem: 0.01 } },
          },
          {
            id: 'wan-relay',
            type: 'video',
            engine: { kind: 'venice', endpoints: [{ url: venice.url }] },
            videoConstraints: VIDEO,
            pricing: { input: FREE, output: FREE, generation: { usd: 0.05, diem: 0.05 } },
          },
        ],
      },
      { logStream: logs.stream, database: 'sqlite' },
    );
  });
  after(async () => {
    await rialto?.close();
    await Promise.all([
      echo?.close(),
      a1111?.close(),
      searxng?.close(),
      venice?.close(),
      new Promise((resolve) => pages.close(resolve)),
    ]);
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  async function post(
    path: string,
    body: unknown,
    key = rialto.inferenceKey,
  ): Promise<{ status: number; text: string }> {
    const response = await fetch(`${rialto.baseURL}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  }

  async function upload(
    path: string,
    fields: Record<string, string>,
    file: Blob,
    name: string,
  ): Promise<{ status: number; text: string }> {
    const form = new FormData();
    for (const [field, value] of Object.entries(fields)) form.set(field, value);
    form.set('file', file, name);
    const response = await fetch(`${rialto.baseURL}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rialto.inferenceKey}` },
      body: form,
    });
    return { status: response.status, text: await response.text() };
  }

  const ok = (answer: { status: number; text: string }, what: string): string => {
    assert.equal(answer.status, 200, `${what}: ${answer.text}`);
    return answer.text;
  };

  it('content passes through every endpoint (the markers reach the upstreams and come back)', async () => {
    const user = (content: unknown): unknown[] => [{ role: 'user', content }];
    assert.match(
      ok(
        await post('/chat/completions', { model: 'chatty', messages: user(CONTENT.chat) }),
        'chat',
      ),
      new RegExp(CONTENT.modelOutput),
    );
    assert.match(
      ok(
        await post('/chat/completions', {
          model: 'chatty',
          messages: user(CONTENT.chatStream),
          stream: true,
        }),
        'chat stream',
      ),
      /\[DONE\]/,
    );
    const file = `data:text/plain;base64,${Buffer.from(`Notes: ${CONTENT.filePart}`).toString('base64')}`;
    ok(
      await post('/chat/completions', {
        model: 'chatty',
        messages: user([
          { type: 'text', text: 'Read this.' },
          { type: 'file', file: { file_data: file, filename: 'notes.txt' } },
        ]),
      }),
      'chat file part',
    );
    ok(
      await post('/chat/completions', {
        model: 'chatty',
        messages: user(`Rialto Bridge ${CONTENT.webSearch}`),
        venice_parameters: { enable_web_search: 'on' },
      }),
      'chat web search',
    );
    assert.equal(
      (
        await post(
          '/characters',
          { slug: 'privacy-persona', name: 'Persona', systemPrompt: PERSONA, modelId: 'chatty' },
          rialto.adminKey,
        )
      ).status,
      200,
    );
    ok(
      await post('/chat/completions', {
        model: 'chatty',
        messages: user(CONTENT.characterUser),
        venice_parameters: { character_slug: 'privacy-persona' },
      }),
      'character chat',
    );
    assert.equal(
      (
        await post('/chat/completions', {
          model: 'chatty',
          messages: user(`[fail] ${CONTENT.failure}`),
        })
      ).status,
      500,
    );
    assert.equal(
      (
        await post('/chat/completions', {
          model: 'chatty',
          messages: user(CONTENT.invalid),
          temperature: 'hot',
        })
      ).status,
      400,
    );
    assert.match(
      ok(await post('/responses', { model: 'chatty', input: CONTENT.responses }), 'responses'),
      new RegExp(CONTENT.modelOutput),
    );
    ok(
      await post('/responses', { model: 'chatty', input: CONTENT.responsesStream, stream: true }),
      'responses stream',
    );
    ok(await post('/embeddings', { model: 'embedder', input: CONTENT.embedding }), 'embeddings');
    ok(
      await post('/audio/speech', {
        model: 'speaker',
        input: CONTENT.speech,
        voice: 'alloy',
        response_format: 'mp3',
      }),
      'speech',
    );
    assert.match(
      ok(
        await upload(
          '/audio/transcriptions',
          { model: 'listener' },
          new Blob([toneWav(1)], { type: 'audio/wav' }),
          'tone.wav',
        ),
        'transcription',
      ),
      new RegExp(CONTENT.modelOutput),
    );
    ok(
      await post('/image/generate', {
        model: 'painter',
        prompt: CONTENT.imagePrompt,
        negative_prompt: CONTENT.negativePrompt,
      }),
      'image generate',
    );
    ok(
      await post('/augment/search', { query: `Rialto Bridge ${CONTENT.searchQuery}` }),
      'augment search',
    );
    assert.match(
      ok(await post('/augment/scrape', { url: `${pagesOrigin}/lagoon` }), 'augment scrape'),
      new RegExp(CONTENT.page),
    );
    assert.match(
      ok(
        await upload(
          '/augment/text-parser',
          {},
          new Blob([`A document: ${CONTENT.document}`], { type: 'text/plain' }),
          'doc.txt',
        ),
        'text-parser',
      ),
      new RegExp(CONTENT.document),
    );
    // The upstreams saw the content: the markers are real inputs, not lost on the way.
    const seen =
      echo.requests.map((request) => request.body).join('\n') +
      JSON.stringify(a1111.requests) +
      JSON.stringify(searxng.requests);
    for (const name of [
      'chat',
      'chatStream',
      'filePart',
      'webSearch',
      'characterUser',
      'failure',
      'responses',
      'responsesStream',
      'embedding',
      'speech',
      'imagePrompt',
      'negativePrompt',
      'searchQuery',
    ] as const) {
      assert.ok(seen.includes(CONTENT[name]), `the upstream received ${name}`);
    }
    assert.ok(seen.includes(PERSONA), 'the persona reached the model');
  });

  it('usage records hold ids, counts and costs only', () => {
    const database = new BetterSqlite3(join(dataDirectory, 'rialto.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const columns = (
        database.prepare('PRAGMA table_info(usage_records)').all() as { name: string }[]
      )
        .map((column) => column.name)
        .sort();
      assert.deepEqual(
        columns,
        [
          'account_id',
          'amount',
          'cached_tokens',
          'completion_tokens',
          'created_at',
          'currency',
          'execution_ms',
          'id',
          'key_id',
          'model_id',
          'model_type',
          'prompt_tokens',
          'request_id',
          'status',
        ].sort(),
      );
      assert.ok(
        (database.prepare('SELECT count(*) AS count FROM usage_records').get() as { count: number })
          .count >= 10,
        'the requests were recorded',
      );
    } finally {
      database.close();
    }
  });

  it('a video job keeps its request until it is deleted; a failed job drops it', async () => {
    const queue = async (prompt: string): Promise<string> =>
      (
        JSON.parse(
          ok(
            await post('/video/queue', {
              model: 'wan-relay',
              prompt,
              duration: '5s',
              resolution: '720p',
            }),
            'video queue',
          ),
        ) as { queue_id: string }
      ).queue_id;
    const [done, failed] = [
      await queue(VIDEO_PROMPT),
      await queue(`${FAILED_VIDEO_PROMPT} ${FAIL_MARKERS.failure}`),
    ];
    const settled = async (id: string, state: string): Promise<void> => {
      for (let turn = 0; (await rialto.store.jobs.find(id))?.state !== state; turn += 1) {
        assert.ok(turn < 2400, `the job did not reach ${state}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    await Promise.all([settled(done, 'COMPLETED'), settled(failed, 'FAILED')]);
    assert.equal(
      (await rialto.store.jobs.find(done))?.request.prompt,
      VIDEO_PROMPT,
      'kept while its media waits for the client',
    );
    assert.deepEqual(
      (await rialto.store.jobs.find(failed))?.request,
      {},
      'a failed job keeps no prompt',
    );
    const media = await fetch(`${rialto.baseURL}/video/retrieve`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${rialto.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'wan-relay', queue_id: done }),
    });
    assert.equal(media.headers.get('content-type'), 'video/mp4');
    await media.arrayBuffer();
    ok(await post('/video/complete', { model: 'wan-relay', queue_id: done }), 'video complete');
    assert.deepEqual(
      (await rialto.store.jobs.find(done))?.request,
      {},
      'a deleted job keeps no prompt',
    );
  });

  it('no log line and no byte of the data folder holds a prompt or an output', async () => {
    assert.match(logs.text(), /incoming request/, 'trace-level request lines were written');
    assert.deepEqual(
      leaksIn(logs.text(), {
        ...CONTENT,
        persona: PERSONA,
        videoPrompt: VIDEO_PROMPT,
        failedVideoPrompt: FAILED_VIDEO_PROMPT,
      }),
      [],
      'no log line holds content',
    );
    // While the server runs, its WAL may still hold the job row as first written: the job markers are looked for below.
    assert.deepEqual(
      markersInFiles(dataDirectory, CONTENT),
      [],
      'no file of the running server holds content',
    );
    assert.ok(
      markersInFiles(dataDirectory, { persona: PERSONA }).length > 0,
      'the scan finds what is kept (the persona, operator data)',
    );
    await rialto.close();
    assert.deepEqual(
      markersInFiles(dataDirectory, {
        ...CONTENT,
        videoPrompt: VIDEO_PROMPT,
        failedVideoPrompt: FAILED_VIDEO_PROMPT,
      }),
      [],
      "once stopped, not a byte holds content or a deleted job's prompt",
    );
    assert.ok(
      markersInFiles(dataDirectory, { persona: PERSONA }).length > 0,
      'the persona is still there',
    );
    rialto = undefined as unknown as TestRialto;
  });
});

describe('privacy: logging.includeContent puts prompts in the log', () => {
  it('the marker the scan looks for appears once content logging is on', async () => {
    const prompt = marker('loggedprompt');
    const echo = await startEchoUpstream('Fine.');
    const logs = logCapture();
    const rialto = await startRialto(
      {
        logLevel: 'debug',
        logging: { includeContent: true },
        models: [
          {
            id: 'chatty',
            engine: { kind: 'openai-compatible', model: 'echo', endpoints: [{ url: echo.url }] },
          },
        ],
      },
      { logStream: logs.stream },
    );
    try {
      const response = await fetch(`${rialto.baseURL}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${rialto.inferenceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'chatty', messages: [{ role: 'user', content: prompt }] }),
      });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      assert.deepEqual(leaksIn(logs.text(), { prompt }), ['prompt (as sent)']);
    } finally {
      await rialto.close();
      await echo.close();
    }
  });
});
