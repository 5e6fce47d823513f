// An upstream that closes its connection after every streamed answer while its headers announce keep-alive, as
// llama-server does (curl: "Connection #0 to host 127.0.0.1 left intact", then "Closing connection 0" before the next
// request; an undici client sending the next request at once failed every other one with "other side closed"). The
// double on 127.0.0.1 makes that race certain: it closes such a connection when the next request arrives on it,
// which is where the server's FIN lands when the client was quicker. With `streamsCloseConnection` (the
// llama-server kind's setting), each stream gets a connection of its own and back-to-back streams all succeed.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { drain, text } from '../../../test/support/engine-chat-events.ts';
import { openAiCompatibleEngine } from '../../config/engine-config.ts';
import type { EngineChatRequest } from '../engine.ts';
import { OpenAiCompatibleEngine } from './openai-compatible-engine.ts';

const request = (stream: boolean): EngineChatRequest => ({
  model: 'closing-upstream',
  messages: [{ role: 'user', content: 'hi' }],
  stream,
  n: 1,
});

const chunk = (fields: Record<string, unknown>): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', ...fields })}\n\n`;

describe('an upstream that closes the connection after each stream', () => {
  let server: Server;
  let url: string;
  /** Connections the double accepted. */
  let connections = 0;
  const servedStream = new WeakSet<Socket>();

  before(async () => {
    server = createServer(async (incoming, response) => {
      const socket = incoming.socket;
      if (servedStream.has(socket)) {
        socket.destroy();
        return;
      }
      let body = '';
      for await (const piece of incoming) body += piece;
      const { stream } = JSON.parse(body) as { stream?: boolean };
      if (stream !== true) {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            id: 'c',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            choices: [
              { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
            ],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          }),
        );
        return;
      }
      servedStream.add(socket);
      response.setHeader('content-type', 'text/event-stream');
      response.write(
        chunk({ choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] }),
      );
      response.write(
        chunk({ choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: null }] }),
      );
      response.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
      response.write(
        chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
      );
      response.end('data: [DONE]\n\n');
    });
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // undici hands a connection back to its pool a turn or two after the body's end: each request waits for that, so
  // that it goes out on the connection the last one used, as it does in a server between one client's requests.
  const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

  const engineWith = (streamsCloseConnection: boolean): OpenAiCompatibleEngine =>
    new OpenAiCompatibleEngine(
      openAiCompatibleEngine.parse({
        kind: 'openai-compatible',
        model: 'closing-upstream',
        endpoints: [{ url }],
      }),
      { streamsCloseConnection },
    );

  it('reusing the connection, the second of two back-to-back streams fails (the double closes it)', async () => {
    const engine = engineWith(false);
    try {
      const first = await drain(
        engine.streamChat(request(true), { signal: AbortSignal.timeout(10_000) }),
      );
      assert.equal(first.error, undefined);
      await settled();
      const second = await drain(
        engine.streamChat(request(true), { signal: AbortSignal.timeout(10_000) }),
      );
      assert.ok(
        second.error instanceof Error,
        'the reused connection was closed under the request',
      );
    } finally {
      await engine.close();
    }
  });

  /** Connections the double accepted while `count` chats, one after the other, each got its answer. */
  async function connectionsFor(stream: boolean, count: number): Promise<number> {
    const engine = engineWith(true);
    const before = connections;
    try {
      for (let index = 0; index < count; index++) {
        await settled();
        const { events, error } = await drain(
          engine.streamChat(request(stream), { signal: AbortSignal.timeout(10_000) }),
        );
        assert.equal(error, undefined, `chat ${index}`);
        assert.equal(text(events), 'ok');
      }
      return connections - before;
    } finally {
      await engine.close();
    }
  }

  it('with streamsCloseConnection, every stream of a back-to-back run gets a connection and an answer', async () => {
    assert.equal(await connectionsFor(true, 20), 20);
  });

  it('with streamsCloseConnection, answers that are not streamed keep their connection', async () => {
    assert.equal(await connectionsFor(false, 5), 1);
  });
});
