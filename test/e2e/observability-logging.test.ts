// rialto-test: sqlite-only
// Structured logs (issue #9.4): at debug level every line a request logs carries its request id, and no line
// carries a key, the Authorization header, a prompt or an output, unless logging.includeContent asks for
// request bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { chatModel } from './upstream-support.ts';

const PROMPT = '#plain the private question 77e0c3';
const OUTPUT = 'Hello there, nice to meet!';

/** A pino destination that keeps every line, parsed. */
function lineCollector(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

async function sendRequests(rialto: TestRialto, replay: ReplayServer): Promise<void> {
  const post = (body: unknown): Promise<Response> =>
    fetch(`${rialto.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${rialto.inferenceKey}`,
      },
      body: JSON.stringify(body),
    });
  const json = await post({ model: 'logged', messages: [{ role: 'user', content: PROMPT }] });
  assert.equal(
    ((await json.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message
      .content,
    OUTPUT,
  );
  assert.match(
    await (
      await post({ model: 'logged', messages: [{ role: 'user', content: PROMPT }], stream: true })
    ).text(),
    /\[DONE\]/,
  );
  // An upstream failure is logged at error level (INFERENCE_FAILED).
  replay.setBehavior({
    failWith: { status: 500, body: { error: { message: `upstream broke on ${PROMPT}` } } },
  });
  assert.equal(
    (await post({ model: 'logged', messages: [{ role: 'user', content: PROMPT }] })).status,
    500,
  );
  replay.resetBehavior();
  assert.equal(
    (
      await fetch(`${rialto.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer rk-not-a-real-key' },
      })
    ).status,
    401,
  );
}

for (const includeContent of [false, true]) {
  test(`logging.includeContent ${includeContent}: request ids on every request line, never a key${includeContent ? '; request bodies at debug' : ', a prompt or an output'}`, async () => {
    const replay = await startReplayServer({ flavor: 'vllm' });
    const { stream, lines } = lineCollector();
    const rialto = await startRialto(
      {
        logLevel: 'debug',
        systemPrompt: '',
        logging: { includeContent },
        models: [chatModel('logged', 'vllm', [replay.url])],
      },
      { logStream: stream },
    );
    try {
      const before = lines.length;
      await sendRequests(rialto, replay);
      const requestLines = lines.slice(before);
      assert.ok(
        requestLines.some((line) => line.level === 50),
        'the upstream failure was logged at error level',
      );
      for (const line of requestLines)
        assert.equal(
          typeof line.reqId,
          'string',
          `a request line without its request id: ${JSON.stringify(line)}`,
        );
      const text = requestLines.map((line) => JSON.stringify(line)).join('\n');
      for (const secret of [
        rialto.inferenceKey,
        rialto.inferenceKey.slice(-12),
        'rk-not-a-real-key',
        'Bearer',
        'authorization',
      ]) {
        assert.ok(!text.includes(secret), `no line carries ${secret.slice(0, 16)}…`);
      }
      const content = requestLines.filter((line) => line.msg === 'request content');
      if (includeContent) {
        assert.equal(content.length, 3, 'one line per JSON body');
        assert.ok(content.every((line) => JSON.stringify(line.body).includes('private question')));
      } else {
        assert.equal(content.length, 0);
        assert.ok(!text.includes('private question'), 'no line carries the prompt');
        assert.ok(!text.includes(OUTPUT), 'no line carries the output');
      }
    } finally {
      await rialto.close();
      await replay.close();
    }
  });
}
