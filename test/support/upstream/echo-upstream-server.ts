/**
 * A REAL HTTP server (node:http on 127.0.0.1, port 0) speaking just enough of OpenAI's API for the privacy suite:
 * every answer carries the text it was started with, so a test can look for what an upstream *answered* (an output)
 * as well as for what a client sent. Shapes: node_modules/openai/resources/chat/completions.d.ts (ChatCompletion,
 * ChatCompletionChunk, with usage on the last chunk when stream_options.include_usage), embeddings.d.ts
 * (CreateEmbeddingResponse), audio/speech (the audio bytes) and audio/transcriptions (json `{text}`).
 * A request whose body contains `[fail]` is answered 500 with an OpenAI error that quotes the request back, as
 * some servers do. Every request body is kept (raw) in `requests`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen-on-loopback.ts';

export interface EchoUpstream {
  /** Base URL with /v1, what an engine endpoint's `url` takes. */
  url: string;
  requests: { path: string; body: string }[];
  close(): Promise<void>;
}

const USAGE = { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 };

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}

function chat(response: ServerResponse, request: Record<string, unknown>, output: string): void {
  const base = {
    id: 'chatcmpl-echo',
    created: Math.floor(Date.now() / 1000),
    model: String(request.model),
  };
  if (request.stream !== true) {
    return json(response, 200, {
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: output },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: USAGE,
    });
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write(
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  );
  const half = Math.floor(output.length / 2);
  for (const piece of [output.slice(0, half), output.slice(half)])
    response.write(chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]));
  response.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  if ((request.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true)
    response.write(chunk([], { usage: USAGE }));
  response.end('data: [DONE]\n\n');
}

export async function startEchoUpstream(output: string): Promise<EchoUpstream> {
  const requests: EchoUpstream['requests'] = [];
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('latin1');
    const path = new URL(request.url ?? '/', 'http://echo').pathname;
    requests.push({ path, body: raw });
    if (raw.includes('[fail]'))
      return json(response, 500, {
        error: {
          message: `The server could not process: ${raw.slice(0, 2000)}`,
          type: 'server_error',
          param: null,
          code: null,
        },
      });
    const body = (request.headers['content-type'] ?? '').startsWith('application/json')
      ? (JSON.parse(raw) as Record<string, unknown>)
      : {};
    switch (path) {
      case '/v1/models':
        return json(response, 200, { object: 'list', data: [] });
      case '/v1/chat/completions':
        return chat(response, body, output);
      case '/v1/embeddings': {
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        return json(response, 200, {
          object: 'list',
          model: body.model,
          data: inputs.map((_, index) => ({
            object: 'embedding',
            index,
            embedding: [0.25, -0.5, 0.75],
          })),
          usage: { prompt_tokens: 3, total_tokens: 3 },
        });
      }
      case '/v1/audio/speech':
        return void response
          .writeHead(200, { 'content-type': 'audio/mpeg' })
          .end(Buffer.from([0xff, 0xfb, 0x90, 0x64, ...Buffer.alloc(413)]));
      case '/v1/audio/transcriptions':
        return json(response, 200, { text: output });
      default:
        return json(response, 404, {
          error: {
            message: `no route ${path}`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
    }
  };
  const server = createServer(
    (request, response) => void handle(request, response).catch(() => response.destroy()),
  );
  const { origin, stop } = await listenOnLoopback(server);
  return { url: `${origin}/v1`, requests, close: stop };
}
