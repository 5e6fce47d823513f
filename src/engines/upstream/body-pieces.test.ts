import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import test from 'node:test';
import { BodyPieces } from './body-pieces.ts';

async function all(pieces: BodyPieces): Promise<string[]> {
  const read: string[] = [];
  for (let piece = await pieces.next(); piece !== undefined; piece = await pieces.next())
    read.push(piece.toString());
  return read;
}

test('the pieces come out in order, then the end; written before or after the reader waits', async () => {
  const body = new PassThrough();
  const pieces = new BodyPieces(body);
  body.write('a');
  body.write('b');
  const read = all(pieces);
  await new Promise((resolve) => setImmediate(resolve));
  body.end('c');
  assert.deepEqual((await read).join(''), 'abc');
  assert.equal(await pieces.next(), undefined);
});

test('an error fails the read once the pieces before it were taken', async () => {
  const body = new PassThrough();
  const pieces = new BodyPieces(body);
  body.write('a');
  assert.equal((await pieces.next())?.toString(), 'a');
  body.destroy(new Error('reset'));
  await assert.rejects(pieces.next(), /reset/);
});

test('a body closed before its end without an error fails the read', async () => {
  const body = new PassThrough();
  const pieces = new BodyPieces(body);
  const waiting = pieces.next();
  body.destroy();
  await assert.rejects(waiting, /closed before its end/);
});

test('the body waits paused while a piece is not taken', async () => {
  const body = new PassThrough();
  const pieces = new BodyPieces(body);
  body.write('a');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(body.isPaused(), true);
  assert.equal((await pieces.next())?.toString(), 'a');
  const next = pieces.next();
  assert.equal(body.isPaused(), false);
  body.end();
  assert.equal(await next, undefined);
});

test('a piece a reader waits for does not pause the body; pieces nobody takes hold the writer back', async () => {
  const body = new PassThrough({ highWaterMark: 4 });
  const pieces = new BodyPieces(body);
  const first = pieces.next();
  body.write('a');
  assert.equal((await first)?.toString(), 'a');
  assert.equal(body.isPaused(), false);
  // Nobody reads now: the first piece pauses the body and the rest stay in the stream, so writes say to wait.
  let accepted = true;
  for (let count = 0; count < 8 && accepted; count += 1) accepted = body.write('bb');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(body.isPaused(), true);
  assert.equal(accepted, false);
  let text = '';
  body.end();
  for (let piece = await pieces.next(); piece !== undefined; piece = await pieces.next())
    text += piece.toString();
  assert.match(text, /^(bb)+$/);
});
