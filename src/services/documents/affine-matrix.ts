/**
 * A 2-D affine DOMMatrix (a b c d e f), the part of the DOM API pdfjs-dist needs without a canvas package:
 * its display layer builds one when it loads, and its parser compiles Type3 glyph bitmaps (TeX's bitmap
 * fonts) with scaleSelf and translateSelf. Rendering, which needs the rest, is never used here.
 */
export class AffineMatrix {
  a = 1;
  b = 0;
  c = 0;
  d = 1;
  e = 0;
  f = 0;
  readonly is2D = true;

  constructor(init: readonly number[] = []) {
    const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = init;
    Object.assign(this, { a, b, c, d, e, f });
  }

  get isIdentity(): boolean {
    return (
      this.a === 1 && this.b === 0 && this.c === 0 && this.d === 1 && this.e === 0 && this.f === 0
    );
  }

  /** this = this × other */
  multiplySelf(other: { a: number; b: number; c: number; d: number; e: number; f: number }): this {
    const { a, b, c, d, e, f } = this;
    this.a = a * other.a + c * other.b;
    this.b = b * other.a + d * other.b;
    this.c = a * other.c + c * other.d;
    this.d = b * other.c + d * other.d;
    this.e = a * other.e + c * other.f + e;
    this.f = b * other.e + d * other.f + f;
    return this;
  }

  scaleSelf(scaleX = 1, scaleY = scaleX): this {
    return this.multiplySelf({ a: scaleX, b: 0, c: 0, d: scaleY, e: 0, f: 0 });
  }

  translateSelf(x = 0, y = 0): this {
    return this.multiplySelf({ a: 1, b: 0, c: 0, d: 1, e: x, f: y });
  }
}
