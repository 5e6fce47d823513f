// rialto-test: sqlite-only
// Chat inputs beyond text, through the official openai client, on a vLLM replay upstream. `file` parts
// (docs/guides/features/file-inputs.mdx): each file, a data URL or a URL, is extracted to text before inference
// and reaches the model as a text part named after the file; unreadable, empty and oversize files are a 400
// before the model is called. `image_url` parts reach a vision model (the most recent maxImages of them,
// INVENTORY §2.2; a URL fetched by Rialto and sent on as a data: URL) and are refused by a model without vision;
// audio and video only where declared.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import type OpenAI from 'openai';
import type { TestRialto } from '../support/start-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import type { ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { docxWithTable, pdfWithoutText, pdfWithText } from '../fixtures/documents.ts';
import { bodyOf, chatModel, lastRequest, useReplayRialto } from './upstream-support.ts';

type Part = OpenAI.Chat.Completions.ChatCompletionContentPart;

const dataUrl = (type: string, bytes: Buffer): string =>
  `data:${type};base64,${bytes.toString('base64')}`;
const file = (fileData: string, filename?: string): Part => ({
  type: 'file',
  file: { file_data: fileData, ...(filename === undefined ? {} : { filename }) },
});

describe('chat file inputs', () => {
  let replay: ReplayServer;
  let rialto: TestRialto;
  let pages: { url: string; close: () => Promise<void> };
  useReplayRialto(
    (url) => ({
      systemPrompt: '',
      fetch: { allowHosts: ['127.0.0.1'] },
      models: [
        chatModel('reader', 'vllm', [url]),
        {
          ...chatModel('seer', 'vllm', [url]),
          capabilities: { supportsVision: true, supportsMultipleImages: true, maxImages: 2 },
        },
      ],
    }),
    (servers) => ({ replay, rialto } = servers),
  );

  before(async () => {
    const report = await pdfWithText([
      ['Quarterly report: revenue grew by twelve percent.'],
      ['Risks: the canal may flood.'],
    ]);
    const server = createServer((request, response) => {
      if (request.url === '/report.pdf')
        return void response.writeHead(200, { 'content-type': 'application/pdf' }).end(report);
      if (request.url?.endsWith('.png') === true)
        return void response
          .writeHead(200, { 'content-type': 'image/png' })
          .end(`png ${request.url}`);
      if (request.url === '/huge.txt')
        return void response
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(Buffer.alloc(26 * 1024 * 1024, 'a'));
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pages = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  });
  after(async () => pages?.close());

  /** The text parts of the last user message the upstream received. */
  function sentParts(): string[] {
    const messages = bodyOf(lastRequest(replay)).messages as {
      role: string;
      content: string | { type: string; text: string }[];
    }[];
    const content = messages.at(-1)!.content;
    assert.ok(Array.isArray(content));
    return content.map((part) => {
      assert.equal(part.type, 'text');
      return part.text;
    });
  }

  it('a PDF and a DOCX as data URLs, and a PDF by URL, reach the model as their text, each named, in order', async () => {
    const pdf = await pdfWithText([['The Rialto Bridge spans the Grand Canal.']]);
    const completion = await rialto.client.chat.completions.create({
      model: 'reader',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: '#plain Summarise these.' },
            file(dataUrl('application/pdf', pdf), 'bridge.pdf'),
            file(
              dataUrl(
                'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                await docxWithTable(),
              ),
            ),
            file(`${pages.url}/report.pdf`, 'q3-report.pdf'),
          ],
        },
      ],
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    const [instruction, bridge, docx, report] = sentParts();
    assert.equal(instruction, '#plain Summarise these.');
    assert.match(
      bridge!,
      /^<file name="bridge.pdf">\n[\s\S]*The Rialto Bridge spans the Grand Canal\.[\s\S]*\n<\/file>$/,
    );
    assert.match(docx!, /^<file name="file">\n[\s\S]+\n<\/file>$/);
    assert.match(report!, /revenue grew by twelve percent\.[\s\S]*the canal may flood\./);
    assert.ok(completion.usage!.prompt_tokens > 0);
  });

  it('an unreadable file, a file without text, an oversize URL or an unreachable one: 400 naming the file; the model is not called', async () => {
    const calls = replay.requests.length;
    for (const part of [
      file(dataUrl('application/pdf', Buffer.from('%PDF-1.7 not really a pdf')), 'broken.pdf'),
      file(dataUrl('application/pdf', await pdfWithoutText()), 'scan.pdf'),
      file(`${pages.url}/huge.txt`, 'huge.txt'),
      file(`${pages.url}/missing.pdf`, 'missing.pdf'),
    ]) {
      const response = await fetch(`${rialto.baseURL}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${rialto.inferenceKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          model: 'reader',
          messages: [{ role: 'user', content: [{ type: 'text', text: '#plain read' }, part] }],
        }),
      });
      const body = (await response.json()) as { error: string };
      assert.equal(response.status, 400, JSON.stringify(body));
      validateResponse({ method: 'POST', path: '/chat/completions', status: 400, body });
      assert.ok(
        body.error.includes((part as { file: { filename: string } }).file.filename),
        body.error,
      );
    }
    assert.equal(replay.requests.length, calls);
  });

  it('image_url parts reach a vision model as data: URLs, the most recent maxImages of them; a model without vision, audio or video input refuses them', async () => {
    const image = (n: number): Part => ({
      type: 'image_url',
      image_url: { url: `${pages.url}/${n}.png`, detail: 'low' },
    });
    const fetched = (n: number): string =>
      `data:image/png;base64,${Buffer.from(`png /${n}.png`).toString('base64')}`;
    const completion = await rialto.client.chat.completions.create({
      model: 'seer',
      messages: [
        { role: 'user', content: [image(1), { type: 'text', text: 'and' }, image(2)] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: '#plain compare' }, image(3)] },
      ],
    });
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: completion });
    const messages = bodyOf(lastRequest(replay)).messages as { content: unknown }[];
    assert.deepEqual(messages[0]!.content, [
      { type: 'text', text: 'and' },
      { type: 'image_url', image_url: { url: fetched(2), detail: 'low' } },
    ]);
    assert.deepEqual(messages[2]!.content, [
      { type: 'text', text: '#plain compare' },
      { type: 'image_url', image_url: { url: fetched(3), detail: 'low' } },
    ]);
    const calls = replay.requests.length;
    for (const [model, part] of [
      ['reader', image(1)],
      ['seer', { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }],
      ['seer', { type: 'video_url', video_url: { url: 'https://venice.example.org/clip.mp4' } }],
    ] as const) {
      await assert.rejects(
        rialto.client.chat.completions.create({
          model,
          messages: [
            { role: 'user', content: [{ type: 'text', text: '#plain look' }, part as Part] },
          ],
        }),
        /does not support (image|audio|video) input/,
      );
    }
    assert.equal(replay.requests.length, calls);
  });
});
