import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closingStream } from './closing-stream.ts';

async function* numbers(log: string[]): AsyncGenerator<number> {
  try {
    yield 1;
    yield 2;
  } finally {
    log.push('source finally');
  }
}

test('returned before it was started, the stream still closes (a generator function would not run at all)', async () => {
  const log: string[] = [];
  const stream = closingStream(numbers(log), async () => {
    log.push('closed');
  });
  assert.deepEqual(await stream.return(undefined), { done: true, value: undefined });
  assert.deepEqual(log, ['closed']);
  await stream.return(undefined);
  assert.deepEqual(log, ['closed'], 'once');
});

test('read to the end, returned mid-way or failing, it closes exactly once', async () => {
  const ended: string[] = [];
  const whole = closingStream(numbers(ended), async () => {
    ended.push('closed');
  });
  const seen: number[] = [];
  for await (const value of whole) seen.push(value);
  assert.deepEqual(
    [seen, ended],
    [
      [1, 2],
      ['source finally', 'closed'],
    ],
  );

  const cut: string[] = [];
  for await (const value of closingStream(numbers(cut), async () => {
    cut.push('closed');
  }))
    if (value === 1) break;
  assert.deepEqual(cut, ['source finally', 'closed']);

  const failing: string[] = [];
  const broken = closingStream(
    (async function* () {
      yield 1;
      throw new Error('engine failed');
    })(),
    async () => {
      failing.push('closed');
    },
  );
  await assert.rejects(async () => {
    for await (const _value of broken) failing.push('value');
  }, /engine failed/);
  assert.deepEqual(failing, ['value', 'closed']);
});
