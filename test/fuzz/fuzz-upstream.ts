// The engines behind the fuzzed server, as one fast HTTP double on 127.0.0.1: an OpenAI-compatible upstream
// (chat as JSON or SSE, embeddings, speech, transcriptions), a Venice API for async video and music jobs (which stay
// PROCESSING), and the files that URLs in requests point at (an image, audio, a page, a document).
// Every answer is built from the request at once, so a request costs only its own parsing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { listenOnLoopback } from '../support/upstream/listen-on-loopback.ts';
import { toneWav } from '../support/tone-wav.ts';

export interface FuzzAssets {
  png: Buffer;
  wav: Buffer;
}

export interface FuzzUpstream {
  /** Base URL of the OpenAI-compatible API (…/v1). */
  openAiUrl: string;
  /** Base URL of the Venice API (…/api/v1). */
  veniceUrl: string;
  /** Where the files are: `${assets}/image.png`, `/audio.wav`, `/page.html`, `/document.txt`, `/video.mp4`; others are 404. */
  assetOrigin: string;
  assets: FuzzAssets;
  close(): Promise<void>;
}

const COMPLETION = 'Fuzzing is fine.';
const USAGE = { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 };

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  response
    .writeHead(status, { 'content-type': contentType, 'content-length': bytes.length })
    .end(bytes);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function chat(body: Record<string, unknown>, response: ServerResponse): void {
  const model = typeof body.model === 'string' ? body.model : 'fuzz';
  const base = { id: 'chatcmpl-fuzz', created: 1_700_000_000, model };
  if (body.stream !== true) {
    send(response, 200, {
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: COMPLETION },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: USAGE,
    });
    return;
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.end(
    [
      chunk([{ index: 0, delta: { role: 'assistant', content: COMPLETION }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      chunk([], { usage: USAGE }),
      'data: [DONE]\n\n',
    ].join(''),
  );
}

function embeddings(body: Record<string, unknown>, response: ServerResponse): void {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const size =
    typeof body.dimensions === 'number' && body.dimensions > 0 && body.dimensions <= 64
      ? body.dimensions
      : 8;
  send(response, 200, {
    object: 'list',
    model: body.model,
    data: inputs.map((_input, index) => ({
      object: 'embedding',
      index,
      embedding: Array.from({ length: size }, (_value, at) => ((index + at) % 7) / 7),
    })),
    usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
  });
}

function veniceJobs(path: string, body: Record<string, unknown>, response: ServerResponse): void {
  if (path.endsWith('/queue'))
    return send(response, 200, { model: body.model, queue_id: randomUUID(), status: 'QUEUED' });
  if (path.endsWith('/retrieve'))
    return send(response, 200, {
      status: 'PROCESSING',
      average_execution_time: 60_000,
      execution_duration: 1000,
    });
  if (path.endsWith('/complete')) return send(response, 200, { success: true });
  send(response, 404, { error: 'Not found' });
}

/** One second of video with a tone, when ffmpeg is there to make it (else bytes that are not a video). */
function videoWithSound(): Buffer {
  const folder = mkdtempSync(join(tmpdir(), 'rialto-fuzz-video-'));
  try {
    execFileSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=duration=1:size=160x90:rate=10',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=1',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-shortest',
        join(folder, 'video.mp4'),
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(join(folder, 'video.mp4'));
  } catch {
    return Buffer.from('not really a video');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

export async function startFuzzUpstream(): Promise<FuzzUpstream> {
  const assets: FuzzAssets = {
    png: await sharp({
      create: { width: 300, height: 300, channels: 3, background: { r: 40, g: 120, b: 200 } },
    })
      .png()
      .toBuffer(),
    wav: toneWav(),
  };
  const video = videoWithSound();
  const files: Record<string, { type: string; body: Buffer }> = {
    '/image.png': { type: 'image/png', body: assets.png },
    '/audio.wav': { type: 'audio/wav', body: assets.wav },
    '/video.mp4': { type: 'video/mp4', body: video },
    '/page.html': {
      type: 'text/html',
      body: Buffer.from(
        '<html><head><title>Fuzz</title></head><body><h1>Fuzz page</h1><p>Some text to scrape.</p></body></html>',
      ),
    },
    '/document.txt': { type: 'text/plain', body: Buffer.from('A plain text document.\n') },
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const file = files[path];
    if (request.method === 'GET' && file !== undefined)
      return send(response, 200, file.body, file.type);
    if (request.method === 'GET' && path === '/v1/models')
      return send(response, 200, { object: 'list', data: [] });
    if (request.method !== 'POST') return send(response, 404, { error: { message: 'not found' } });
    void readJson(request).then((body) => {
      if (path === '/v1/chat/completions') return chat(body, response);
      if (path === '/v1/embeddings') return embeddings(body, response);
      if (path === '/v1/audio/speech') return send(response, 200, assets.wav, 'audio/wav');
      if (path === '/v1/audio/transcriptions') {
        return send(response, 200, {
          text: COMPLETION,
          duration: 0.5,
          segments: [{ text: COMPLETION, start: 0, end: 0.5 }],
          words: [
            { word: 'Fuzzing', start: 0, end: 0.2 },
            { word: 'is', start: 0.2, end: 0.3 },
            { word: 'fine.', start: 0.3, end: 0.5 },
          ],
        });
      }
      if (path.startsWith('/api/v1/')) return veniceJobs(path, body, response);
      send(response, 404, { error: { message: 'not found' } });
    });
  });
  const { origin, stop } = await listenOnLoopback(server);
  return {
    openAiUrl: `${origin}/v1`,
    veniceUrl: `${origin}/api/v1`,
    assetOrigin: origin,
    assets,
    close: stop,
  };
}
