import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { redactingLogHooks } from './redacting-log-hooks.ts';

function capture(): { logger: pino.Logger; lines: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: pino({ level: 'info', ...redactingLogHooks }, sink), lines: () => text };
}

describe('redactingLogHooks: no URL password reaches a log line, however it is logged', () => {
  it('redacts messages, format arguments, fields, nested fields, arrays and errors, and keeps the rest', () => {
    const { logger, lines } = capture();
    const url = 'http://operator:hunter2@10.0.0.5:8000/v1';
    logger.warn(`upstream ${url} is down`);
    logger.warn('upstream %s is down', url);
    logger.info(
      {
        endpoint: url,
        nested: { redis: 'redis://:hunter2@127.0.0.1:6379/0', list: [url] },
        email: 'a@b.c',
      },
      'state',
    );
    logger.error({ err: new Error(`connect to ${url} failed`) }, 'probe failed');
    const text = lines();
    assert.ok(!text.includes('hunter2'), text);
    assert.equal(text.match(/operator:\*\*\*@10\.0\.0\.5:8000/g)?.length, 6, text); // two messages, two fields, the error's message and stack
    assert.match(text, /redis:\/\/:\*\*\*@127\.0\.0\.1:6379/);
    assert.match(text, /"email":"a@b.c"/);
    assert.match(text, /"type":"Error"/);
    for (const line of text.trim().split('\n')) JSON.parse(line);
  });
});
