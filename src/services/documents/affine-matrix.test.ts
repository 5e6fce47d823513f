import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AffineMatrix } from './affine-matrix.ts';

test('scaleSelf then translateSelf compose as DOMMatrix does (pdfjs: Type3 glyph outlines)', () => {
  // new DOMMatrix().scaleSelf(1 / 4, -1 / 2).translateSelf(0, -2) in a browser: a 0.25, d -0.5, f 1.
  const { a, b, c, d, e, f } = new AffineMatrix().scaleSelf(1 / 4, -1 / 2).translateSelf(0, -2);
  assert.deepEqual({ a, b, c, d, e, f }, { a: 0.25, b: 0, c: 0, d: -0.5, e: 0, f: 1 });
});

test('starts as identity, or from six numbers', () => {
  assert.equal(new AffineMatrix().isIdentity, true);
  const { a, b, c, d, e, f } = new AffineMatrix([2, 0, 0, 3, 5, 7]).multiplySelf(
    new AffineMatrix([1, 0, 0, 1, 1, 1]),
  );
  assert.deepEqual([a, b, c, d, e, f], [2, 0, 0, 3, 7, 10]);
});
