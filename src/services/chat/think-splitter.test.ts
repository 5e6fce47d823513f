import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThinkSplitter, type SplitPiece } from './think-splitter.ts';

function run(chunks: string[], options?: { startInside?: boolean }): SplitPiece[] {
  const splitter = new ThinkSplitter(options);
  const pieces = [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.flush()];
  const merged: SplitPiece[] = [];
  for (const piece of pieces) {
    const last = merged.at(-1);
    if (last?.kind === piece.kind) last.text += piece.text;
    else merged.push({ ...piece });
  }
  return merged;
}

test('a think block in one chunk becomes reasoning, the rest content', () => {
  assert.deepEqual(run(['<think>why</think>\nanswer']), [
    { kind: 'reasoning', text: 'why' },
    { kind: 'content', text: 'answer' },
  ]);
});

test('tags split across chunks at every position are still recognised', () => {
  const text = '<think>abc</think>\nxyz';
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(
      run([text.slice(0, cut), text.slice(cut)]),
      [
        { kind: 'reasoning', text: 'abc' },
        { kind: 'content', text: 'xyz' },
      ],
      `cut at ${cut}`,
    );
  }
});

test('text that only looks like the start of a tag is released at flush', () => {
  assert.deepEqual(run(['a <thi']), [{ kind: 'content', text: 'a <thi' }]);
});

test('output that starts inside the think block (template opened it) splits at </think>', () => {
  assert.deepEqual(run(['reason', 'ing</think>done'], { startInside: true }), [
    { kind: 'reasoning', text: 'reasoning' },
    { kind: 'content', text: 'done' },
  ]);
});

test('text without tags passes through as content', () => {
  assert.deepEqual(run(['plain ', 'text']), [{ kind: 'content', text: 'plain text' }]);
});
