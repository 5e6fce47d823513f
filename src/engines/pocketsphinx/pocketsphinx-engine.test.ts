import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../engine-error.ts';
import { createPocketsphinxEngine } from './pocketsphinx-engine.ts';
import { runProcess } from '../media/run-process.ts';
import { Semaphore } from '../semaphore.ts';

describe('pocketsphinx engine', () => {
  it('refuses to start without its recogniser, naming it and the install command', async () => {
    await assert.rejects(
      createPocketsphinxEngine({
        kind: 'pocketsphinx',
        command: '/nonexistent/pocketsphinx_continuous',
        ffmpeg: 'ffmpeg',
        concurrency: 1,
      }),
      (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.failure, 'offline');
        assert.match(error.message, /\/nonexistent\/pocketsphinx_continuous/);
        assert.match(error.message, /apt-get install -y pocketsphinx pocketsphinx-en-us ffmpeg/);
        return true;
      },
    );
  });

  it("is healthy with Debian's binaries and model, and refuses work once closed", async () => {
    const engine = await createPocketsphinxEngine({
      kind: 'pocketsphinx',
      ffmpeg: 'ffmpeg',
      concurrency: 1,
    });
    assert.equal((await engine.checkHealth(new AbortController().signal)).healthy, true);
    await engine.close();
    await assert.rejects(
      engine.transcribe(
        { model: 'asr', audio: Buffer.alloc(0), timestamps: false },
        { signal: new AbortController().signal },
      ),
      EngineError,
    );
  });

  it('an abort kills the child process', async () => {
    const controller = new AbortController();
    const running = runProcess('sh', ['-c', 'echo started; exec sleep 600'], controller.signal);
    controller.abort(new Error('client disconnected'));
    await assert.rejects(running, /client disconnected/);
  });

  it('the semaphore admits `limit` holders and passes a released slot to the next waiter', async () => {
    const slots = new Semaphore(1);
    const signal = new AbortController().signal;
    const first = await slots.acquire(signal);
    const order: string[] = [];
    const second = slots.acquire(signal).then((release) => {
      order.push('second');
      return release;
    });
    const cancelled = new AbortController();
    const third = slots.acquire(cancelled.signal);
    cancelled.abort(new Error('gone'));
    await assert.rejects(third, /gone/);
    order.push('released');
    first();
    (await second)();
    assert.deepEqual(order, ['released', 'second']);
    (await slots.acquire(signal))();
  });
});
