// Web search and scraping in chat (venice_parameters: enable_web_search off / on / auto, enable_web_citations,
// enable_web_scraping, include_search_results_in_stream, return_search_results_as_documents; the model suffix; the
// web_search tool), through the official openai client, with Rialto in front of the vLLM replay upstream, the Brave
// Search double (test/support/upstream/search-servers.ts) and pages served from 127.0.0.1. Every body and chunk is
// checked against the swagger.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { DECISION_PROMPT } from '../../src/services/chat/search-decision.ts';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { validateChatCompletionChunk, validateResponse } from '../support/spec/spec-validator.ts';
import {
  DOCUMENTS,
  startBraveSearchServer,
  type SearchServer,
} from '../support/upstream/search-servers.ts';
import type { RecordedRequest, ReplayServer } from '../support/upstream/upstream-replay-server.ts';
import { bodyOf, chatModel, lastRequest, postJson, useReplayRialto } from './upstream-support.ts';

const MODEL = 'chat';
const OPERATOR = 'You are served by Rialto.';
const TOKEN = 'brave-token';
const PRICE = 0.01;
const PLAIN_ANSWER = 'Hello there, nice to meet!';

type Body = Record<string, unknown>;
interface Citation {
  title: string;
  url: string;
  content: string;
  date: string;
}
interface Message {
  role: string;
  content: string;
}

/** The pages enable_web_scraping reads; `paths` records what was fetched. */
async function startPageServer(): Promise<{
  url: string;
  paths: string[];
  close: () => Promise<void>;
}> {
  const paths: string[] = [];
  const pages: Record<string, [string, string]> = {
    '/p1': ['text/markdown', '# Gondolas\n\nA gondola is a flat-bottomed Venetian rowing boat.\n'],
    '/p2': [
      'text/html',
      '<html><head><title>The Rialto Bridge</title></head><body><h1>The Rialto Bridge</h1><p>The oldest bridge over the Grand Canal.</p></body></html>',
    ],
    '/p4': ['text/plain', 'Tide tables of the lagoon.'],
    '/p5': [
      'text/markdown',
      'Notes first.\n\n## Lagoon\n\nThe Venetian Lagoon is an enclosed bay.',
    ],
    '/p6': ['text/markdown', '# Six\n\nNever read.'],
  };
  const server: Server = createServer((request, response) => {
    paths.push(request.url ?? '');
    const page = pages[request.url ?? ''];
    if (page === undefined)
      return void response
        .writeHead(404, { 'content-type': 'text/html' })
        .end('<html><body>Not found</body></html>');
    response.writeHead(200, { 'content-type': `${page[0]}; charset=utf-8` }).end(page[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const messagesOf = (request: RecordedRequest): Message[] => bodyOf(request).messages as Message[];
const echoOf = (body: Body): Body => body.venice_parameters as Body;
const citationsOf = (body: Body): Citation[] => echoOf(body).web_search_citations as Citation[];

describe('web search in chat', () => {
  let brave: SearchServer;
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  let replay: ReplayServer;
  let rialto: TestRialto;

  before(async () => {
    [brave, pages] = await Promise.all([startBraveSearchServer(TOKEN), startPageServer()]);
  });
  useReplayRialto(
    (url) => ({
      systemPrompt: OPERATOR,
      models: [chatModel(MODEL, 'vllm', [url])],
      fetch: { allowHosts: ['127.0.0.1'] },
      augment: {
        search: [{ kind: 'brave', apiKey: TOKEN, url: brave.url }],
        pricing: { search: { usd: PRICE, diem: PRICE }, scrape: { usd: PRICE, diem: PRICE } },
      },
    }),
    (servers) => ({ replay, rialto } = servers),
  );
  after(async () => {
    await Promise.all([brave?.close(), pages?.close()]);
  });

  async function ask(body: Body): Promise<Body> {
    const completion = await rialto.client.chat.completions.create({
      model: MODEL,
      max_tokens: 64,
      ...body,
    } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const json = completion as unknown as Body;
    validateResponse({ method: 'POST', path: '/chat/completions', status: 200, body: json });
    return json;
  }

  async function askStream(body: Body): Promise<Body[]> {
    const stream = await rialto.client.chat.completions.create({
      model: MODEL,
      max_tokens: 64,
      ...body,
      stream: true,
    } as unknown as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: Body[] = [];
    for await (const chunk of stream) {
      validateChatCompletionChunk(chunk);
      chunks.push(chunk as unknown as Body);
    }
    return chunks;
  }

  const textOf = (chunks: Body[]): string =>
    chunks
      .map((chunk) => (chunk.choices as { delta: { content?: string } }[])[0]?.delta.content ?? '')
      .join('');

  /** Usage records of `modelId` (augment-search, augment-scrape, the chat model). */
  async function records(modelId: string): Promise<{ amount: number; status: string }[]> {
    return (await rialto.store.usage.list({ accountId: 'default', limit: 10_000 })).filter(
      (record) => record.modelId === modelId,
    );
  }

  it('on: searches the last user message (10 results), gives the results to the model after the system prompt, cites them; search billed once', async () => {
    const searches = brave.requests.length;
    const [billedSearches, billedChats] = [
      (await records('augment-search')).length,
      (await records(MODEL)).length,
    ];
    const completion = await ask({
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
      venice_parameters: { enable_web_search: 'on' },
    });

    assert.deepEqual(
      brave.requests.slice(searches).map((request) => [request.query.q, request.query.count]),
      [['#plain rialto bridge', '10']],
    );
    const [system, user, ...rest] = messagesOf(lastRequest(replay));
    assert.equal(rest.length, 0);
    assert.deepEqual(user, { role: 'user', content: '#plain rialto bridge' });
    assert.equal(system?.role, 'system');
    assert.ok(
      system.content.startsWith(`${OPERATOR}\n\nWeb results for the user's last message`),
      system.content,
    );
    assert.ok(
      system.content.includes(`[1] Rialto Bridge, part 1\nURL: ${DOCUMENTS[0]!.url}\n\n`),
      system.content,
    );
    assert.ok(
      system.content.includes(
        `[2] Rialto Bridge, part 2\nURL: ${DOCUMENTS[1]!.url}\nDate: ${DOCUMENTS[1]!.date}\n\n`,
      ),
      system.content,
    );
    assert.ok(
      system.content.includes('[10] Rialto Bridge, part 10') && !system.content.includes('[11]'),
    );
    assert.doesNotMatch(
      system.content,
      /\^1\^/,
      'no citation instruction without enable_web_citations',
    );

    assert.equal(echoOf(completion).enable_web_search, 'on');
    assert.deepEqual(
      citationsOf(completion).map((citation) => [citation.title, citation.url]),
      DOCUMENTS.slice(0, 10).map((document) => [document.title, document.url]),
    );
    assert.match(citationsOf(completion)[0]!.content, /Grand Canal/);
    const message = (
      completion.choices as { message: { content: string; tool_calls: unknown[] } }[]
    )[0]!.message;
    assert.deepEqual([message.content, message.tool_calls], [PLAIN_ANSWER, []]);

    const search = (await records('augment-search')).slice(billedSearches);
    assert.deepEqual(
      search.map((record) => [record.amount, record.status]),
      [[toNanos(PRICE), 'completed']],
    );
    assert.equal((await records(MODEL)).length, billedChats + 1, 'the chat is its own record');
  });

  it('on, streamed: the citations ride on the first chunk only', async () => {
    const chunks = await askStream({
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
      venice_parameters: { enable_web_search: 'on' },
    });
    const [first, ...later] = chunks;
    assert.deepEqual((first!.choices as { delta: unknown }[])[0]?.delta, {
      role: 'assistant',
      content: '',
    });
    assert.deepEqual(
      citationsOf(first!).map((citation) => citation.url),
      DOCUMENTS.slice(0, 10).map((document) => document.url),
    );
    assert.equal(echoOf(first!).enable_web_search, 'on');
    assert.ok(later.every((chunk) => chunk.venice_parameters === undefined));
    assert.equal(textOf(chunks), PLAIN_ANSWER);
    assert.match(messagesOf(lastRequest(replay))[0]!.content, /\[1\] Rialto Bridge, part 1/);
  });

  it('off (the default, or said): no search, nothing added, no citations, no echo on the stream', async () => {
    const searches = brave.requests.length;
    for (const venice of [undefined, { enable_web_search: 'off' }]) {
      const completion = await ask({
        messages: [{ role: 'user', content: '#plain rialto bridge' }],
        ...(venice === undefined ? {} : { venice_parameters: venice }),
      });
      assert.deepEqual(citationsOf(completion), []);
      assert.equal(echoOf(completion).enable_web_search, 'off');
      assert.deepEqual(messagesOf(lastRequest(replay)), [
        { role: 'system', content: OPERATOR },
        { role: 'user', content: '#plain rialto bridge' },
      ]);
    }
    const chunks = await askStream({
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
    });
    assert.ok(chunks.every((chunk) => chunk.venice_parameters === undefined));
    assert.equal(brave.requests.length, searches);
  });

  it('auto, the model says yes: a short deterministic decision call (unbilled), then the search and the cited answer', async () => {
    const [searches, upstreamCalls] = [brave.requests.length, replay.requests.length];
    const [billedSearches, billedChats] = [
      (await records('augment-search')).length,
      (await records(MODEL)).length,
    ];
    const chunks = await askStream({
      messages: [{ role: 'user', content: '#search-auto-yes rialto bridge' }],
      venice_parameters: { enable_web_search: 'auto', enable_web_citations: true },
    });

    const [decision, answer, ...more] = replay.requests.slice(upstreamCalls);
    assert.equal(more.length, 0);
    const asked = bodyOf(decision!);
    assert.deepEqual(asked.messages, [
      { role: 'system', content: DECISION_PROMPT },
      { role: 'user', content: '#search-auto-yes rialto bridge' },
    ]);
    assert.deepEqual([asked.stream, asked.temperature], [false, 0]);
    assert.ok(
      typeof asked.max_tokens === 'number' && asked.max_tokens <= 512,
      `small max_tokens: ${String(asked.max_tokens)}`,
    );
    assert.equal(brave.requests.length, searches + 1);
    const system = messagesOf(answer!)[0]!.content;
    assert.match(system, /\[1\] Rialto Bridge, part 1/);
    assert.match(
      system,
      /\^1\^ for one result, \^1,3\^ for several/,
      "enable_web_citations asks for the swagger's ^index^ markers",
    );

    assert.equal(citationsOf(chunks[0]!).length, 10);
    assert.equal(echoOf(chunks[0]!).enable_web_search, 'auto');
    assert.equal(textOf(chunks), 'The Rialto Bridge spans the Grand Canal ^1^.');
    assert.equal((await records('augment-search')).length, billedSearches + 1);
    assert.equal((await records(MODEL)).length, billedChats + 1, 'the decision call is not billed');
  });

  it('auto, the model says no: no search, no results for the model, empty citations on the first chunk', async () => {
    const [searches, upstreamCalls, billedChats] = [
      brave.requests.length,
      replay.requests.length,
      (await records(MODEL)).length,
    ];
    const chunks = await askStream({
      messages: [{ role: 'user', content: '#search-auto-no hello' }],
      venice_parameters: { enable_web_search: 'auto' },
    });
    const [decision, answer, ...more] = replay.requests.slice(upstreamCalls);
    assert.equal(more.length, 0);
    assert.equal(bodyOf(decision!).stream, false);
    assert.deepEqual(messagesOf(answer!), [
      { role: 'system', content: OPERATOR },
      { role: 'user', content: '#search-auto-no hello' },
    ]);
    assert.equal(brave.requests.length, searches);
    assert.deepEqual(citationsOf(chunks[0]!), []);
    assert.equal(textOf(chunks), 'Hello! How can I help?');
    assert.equal((await records(MODEL)).length, billedChats + 1);
  });

  it('scraping: the first 5 URLs of the last user message, failed pages skipped and unbilled, titled by their heading; no search', async () => {
    const [searches, fetched] = [brave.requests.length, pages.paths.length];
    const [billedScrapes, billedSearches] = [
      (await records('augment-scrape')).length,
      (await records('augment-search')).length,
    ];
    const urls = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((path) => `${pages.url}/${path}`);
    const content = `#plain Compare ${urls[0]}, ${urls[1]} and (${urls[2]}) with ${urls[0]} ${urls.slice(3).join(' ')}.`;
    const completion = await ask({
      messages: [
        { role: 'user', content: 'earlier https://venice.example.org/old' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content },
      ],
      venice_parameters: { enable_web_search: 'on', enable_web_scraping: true },
    });

    assert.deepEqual(pages.paths.slice(fetched).toSorted(), ['/p1', '/p2', '/p3', '/p4', '/p5']);
    assert.equal(brave.requests.length, searches, 'scraped pages bypass the search');
    assert.deepEqual(
      citationsOf(completion).map((citation) => [citation.title, citation.url]),
      [
        ['Gondolas', urls[0]],
        ['The Rialto Bridge', urls[1]],
        [urls[3], urls[3]],
        ['Lagoon', urls[4]],
      ],
    );
    assert.match(citationsOf(completion)[3]!.content, /enclosed bay/);
    const system = messagesOf(lastRequest(replay))[0]!.content;
    assert.match(system, /\[1\] Gondolas\nURL: http:\/\/127\.0\.0\.1:\d+\/p1\n\n# Gondolas/);
    assert.match(system, /\[4\] Lagoon/);
    // The page that failed is released: recorded as failed, at 0.
    const scrapes = (await records('augment-scrape')).slice(billedScrapes);
    assert.deepEqual(
      scrapes.filter((record) => record.status === 'completed').map((record) => record.amount),
      Array(4).fill(toNanos(PRICE)),
    );
    assert.equal(
      scrapes.reduce((sum, record) => sum + record.amount, 0),
      4 * toNanos(PRICE),
    );
    assert.equal((await records('augment-search')).length, billedSearches);
  });

  it('scraping where no page can be read falls back to the search; scraping alone without URLs adds nothing', async () => {
    const searches = brave.requests.length;
    const content = `#plain rialto bridge ${pages.url}/missing`;
    const completion = await ask({
      messages: [{ role: 'user', content }],
      venice_parameters: { enable_web_search: 'on', enable_web_scraping: true },
    });
    // The search double finds nothing for a URL: the model is told so.
    assert.deepEqual(
      brave.requests.slice(searches).map((request) => request.query.q),
      [content],
    );
    assert.deepEqual(citationsOf(completion), []);
    assert.match(messagesOf(lastRequest(replay))[0]!.content, /nothing was found or could be read/);
    const alone = await ask({
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
      venice_parameters: { enable_web_scraping: true },
    });
    assert.deepEqual(citationsOf(alone), []);
    assert.equal(echoOf(alone).enable_web_scraping, true);
    assert.equal(messagesOf(lastRequest(replay)).length, 2);
    assert.equal(brave.requests.length, searches + 1);
  });

  it("include_search_results_in_stream: the results are a chunk of their own, first, before the model's", async () => {
    const chunks = await askStream({
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
      venice_parameters: { enable_web_search: 'on', include_search_results_in_stream: true },
    });
    const [results, role, ...later] = chunks;
    assert.deepEqual(results!.choices, []);
    assert.equal(citationsOf(results!).length, 10);
    assert.equal(echoOf(results!).include_search_results_in_stream, true);
    assert.deepEqual((role!.choices as { delta: unknown }[])[0]?.delta, {
      role: 'assistant',
      content: '',
    });
    assert.ok([role!, ...later].every((chunk) => chunk.venice_parameters === undefined));
    assert.equal(textOf(chunks), PLAIN_ANSWER);
  });

  it('return_search_results_as_documents: a venice_web_search_documents tool call with the results, in JSON and in the stream', async () => {
    const request = {
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
      venice_parameters: { enable_web_search: 'on', return_search_results_as_documents: true },
    };
    const completion = await ask(request);
    const choice = (
      completion.choices as {
        message: {
          content: string;
          tool_calls: { type: string; function: { name: string; arguments: string } }[];
        };
        finish_reason: string;
      }[]
    )[0]!;
    assert.equal(choice.message.content, PLAIN_ANSWER);
    assert.equal(choice.finish_reason, 'stop');
    assert.deepEqual(
      choice.message.tool_calls.map((call) => [call.type, call.function.name]),
      [['function', 'venice_web_search_documents']],
    );
    assert.deepEqual(JSON.parse(choice.message.tool_calls[0]!.function.arguments), {
      documents: citationsOf(completion),
    });

    const chunks = await askStream(request);
    const calls = chunks.flatMap((chunk) =>
      (
        chunk.choices as {
          delta: {
            tool_calls?: {
              index: number;
              id?: string;
              function: { name?: string; arguments: string };
            }[];
          };
        }[]
      ).flatMap((item) => item.delta.tool_calls ?? []),
    );
    assert.deepEqual(
      calls.map((call) => [call.index, call.function.name]),
      [[0, 'venice_web_search_documents']],
    );
    assert.match(calls[0]!.id ?? '', /^call_/);
    assert.deepEqual(JSON.parse(calls[0]!.function.arguments), {
      documents: citationsOf(chunks[0]!),
    });
    assert.equal(textOf(chunks), PLAIN_ANSWER);
  });

  it('the model suffix: enable_web_search=on&enable_web_citations=true; the body wins over it', async () => {
    const searches = brave.requests.length;
    const completion = await ask({
      model: `${MODEL}:enable_web_search=on&enable_web_citations=true`,
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
    });
    assert.deepEqual(
      [echoOf(completion).enable_web_search, echoOf(completion).enable_web_citations],
      ['on', true],
    );
    assert.equal(citationsOf(completion).length, 10);
    assert.match(messagesOf(lastRequest(replay))[0]!.content, /\^1\^/);
    const bodyWins = await ask({
      model: `${MODEL}:enable_web_search=on`,
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
      venice_parameters: { enable_web_search: 'off' },
    });
    assert.deepEqual(citationsOf(bodyWins), []);
    assert.equal(brave.requests.length, searches + 1);
  });

  it('tools: [{type: "web_search"}] turns the search on, never reaches the upstream; /responses searches the same way', async () => {
    const searches = brave.requests.length;
    const completion = await ask({
      messages: [{ role: 'user', content: '#plain rialto bridge' }],
      tools: [{ type: 'web_search' }],
    });
    assert.equal(echoOf(completion).enable_web_search, 'on');
    assert.equal(citationsOf(completion).length, 10);
    assert.equal(bodyOf(lastRequest(replay)).tools, undefined);
    assert.equal(brave.requests.length, searches + 1);

    const response = await rialto.client.responses.create({
      model: MODEL,
      input: '#plain rialto bridge',
      tools: [{ type: 'web_search' }],
    } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    validateResponse({ method: 'POST', path: '/responses', status: 200, body: response });
    assert.equal(response.output_text, PLAIN_ANSWER);
    assert.equal(brave.requests.length, searches + 2);
    assert.match(messagesOf(lastRequest(replay))[0]!.content, /\[1\] Rialto Bridge, part 1/);
  });

  it('without a search engine configured, web search is a 400 before anything runs', async () => {
    const bare = await startRialto({ models: [chatModel(MODEL, 'vllm', [replay.url])] });
    try {
      const [searches, upstreamCalls] = [brave.requests.length, replay.requests.length];
      for (const body of [
        { venice_parameters: { enable_web_search: 'on' } },
        { venice_parameters: { enable_web_search: 'auto' } },
        { model: `${MODEL}:enable_web_search=on` },
        { tools: [{ type: 'web_search' }] },
      ]) {
        const response = await postJson(bare, '/chat/completions', {
          model: MODEL,
          messages: [{ role: 'user', content: '#plain rialto bridge' }],
          ...body,
        });
        const answer = (await response.json()) as { error: string };
        assert.equal(response.status, 400, JSON.stringify(body));
        validateResponse({ method: 'POST', path: '/chat/completions', status: 400, body: answer });
        assert.match(answer.error, /no search engine is configured/);
      }
      assert.deepEqual([brave.requests.length, replay.requests.length], [searches, upstreamCalls]);
    } finally {
      await bare.close();
    }
  });
});
