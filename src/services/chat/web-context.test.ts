import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineChatEvent } from '../../engines/engine.ts';
import { DOCUMENTS_TOOL, withDocumentsCall } from './documents-call.ts';
import {
  lastUserText,
  pageCitation,
  SCRAPED_PAGE_CHARS,
  urlsIn,
  webContextText,
  withSystemText,
} from './web-context.ts';

const HIT = {
  title: 'Rialto',
  url: 'https://example.org/rialto',
  content: 'A bridge.',
  date: '2024-01-02',
};

describe('web context', () => {
  it('reads the last user message, text parts joined', () => {
    assert.equal(
      lastUserText([
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'image_url', image_url: { url: 'x' } },
            { type: 'text', text: 'b' },
          ],
        },
      ]),
      'a\nb',
    );
    assert.equal(lastUserText([{ role: 'system', content: 'only' }]), '');
  });

  it('finds distinct http(s) URLs in order, without trailing punctuation, at most five', () => {
    const text =
      'See https://a.example/x, (http://b.example/y) and https://a.example/x again; ftp://c.example/z. ' +
      'Then https://d.example/1 https://d.example/2 https://d.example/3 https://d.example/4.';
    assert.deepEqual(urlsIn(text), [
      'https://a.example/x',
      'http://b.example/y',
      'https://d.example/1',
      'https://d.example/2',
      'https://d.example/3',
    ]);
  });

  it('titles a page by its first heading, else its URL; long pages are cut', () => {
    assert.equal(
      pageCitation('https://p.example', 'intro\n\n## The Title ##\n\n# Later').title,
      'The Title',
    );
    const plain = pageCitation('https://p.example', 'x'.repeat(SCRAPED_PAGE_CHARS + 10));
    assert.deepEqual(
      [plain.title, plain.content.length, plain.date],
      ['https://p.example', SCRAPED_PAGE_CHARS, ''],
    );
  });

  it('numbers the results; asks for ^i^ citations only when enabled; omits an empty date', () => {
    const cited = webContextText([HIT, { ...HIT, title: 'Two', date: '' }], true);
    assert.match(
      cited,
      /\[1\] Rialto\nURL: https:\/\/example\.org\/rialto\nDate: 2024-01-02\n\nA bridge\./,
    );
    assert.match(cited, /\[2\] Two\nURL: https:\/\/example\.org\/rialto\n\nA bridge\./);
    assert.match(cited, /\^1\^/);
    assert.doesNotMatch(webContextText([HIT], false), /\^1\^/);
    assert.match(webContextText([], true), /nothing was found/);
  });

  it('goes after the system prompt, in the one leading system message', () => {
    assert.deepEqual(
      withSystemText(
        [
          { role: 'system', content: 'Prompt.' },
          { role: 'user', content: 'hi' },
        ],
        'Web.',
      ),
      [
        { role: 'system', content: 'Prompt.\n\nWeb.' },
        { role: 'user', content: 'hi' },
      ],
    );
    assert.deepEqual(withSystemText([{ role: 'user', content: 'hi' }], 'Web.'), [
      { role: 'system', content: 'Web.' },
      { role: 'user', content: 'hi' },
    ]);
  });
});

describe('venice_web_search_documents', () => {
  it('opens every choice with the documents call and shifts the model’s tool calls by one', async () => {
    async function* source(): AsyncGenerator<EngineChatEvent> {
      yield { type: 'content', choice: 0, text: 'Hi' };
      yield { type: 'tool_call', choice: 1, index: 0, id: 'call_m', name: 'f', arguments: '{}' };
      yield { type: 'finish', choice: 0, reason: 'stop' };
      yield { type: 'usage', usage: { promptTokens: 1, completionTokens: 1 } };
    }
    const events: EngineChatEvent[] = [];
    for await (const event of withDocumentsCall(source(), [HIT])) events.push(event);
    const calls = events.filter((event) => event.type === 'tool_call');
    assert.deepEqual(
      calls.map((call) => [call.choice, call.index, call.name]),
      [
        [0, 0, DOCUMENTS_TOOL],
        [1, 0, DOCUMENTS_TOOL],
        [1, 1, 'f'],
      ],
    );
    assert.deepEqual(JSON.parse(calls[0]!.arguments), { documents: [HIT] });
    assert.deepEqual(
      events.map((event) => event.type),
      ['tool_call', 'content', 'tool_call', 'tool_call', 'finish', 'usage'],
    );
  });
});
