import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AffineMatrix } from './affine-matrix.ts';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

/** What pdfjs-dist says once, when it loads, about the optional canvas package that only rendering uses. */
const CANVAS_WARNINGS = [
  '@napi-rs/canvas',
  'Cannot polyfill `ImageData`',
  'Cannot polyfill `Path2D`',
];

const PACKAGE = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

/**
 * The data files pdfjs-dist ships, which its Node build reads from disk: CMaps map CJK fonts' codes to
 * Unicode (without them their text is lost); standard font metrics place the 14 base fonts' glyphs.
 */
export const PDFJS_DATA = {
  cMapUrl: `${join(PACKAGE, 'cmaps')}/`,
  cMapPacked: true,
  standardFontDataUrl: `${join(PACKAGE, 'standard_fonts')}/`,
};

let loading: Promise<PdfJs> | undefined;

/**
 * pdfjs-dist's Node build (legacy), loaded on first use. Without @napi-rs/canvas it has no DOMMatrix, which
 * it builds when it loads and its parser uses for Type3 glyphs; this installs a 2-D one where none exists.
 * Its load-time warnings about the canvas package (rendering only) are kept off the console.
 */
export function loadPdfJs(): Promise<PdfJs> {
  loading ??= (async () => {
    if (Reflect.get(globalThis, 'DOMMatrix') === undefined)
      Reflect.set(globalThis, 'DOMMatrix', AffineMatrix);
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      const [first] = args;
      if (typeof first === 'string' && CANVAS_WARNINGS.some((warning) => first.includes(warning)))
        return;
      warn(...args);
    };
    try {
      return await import('pdfjs-dist/legacy/build/pdf.mjs');
    } finally {
      console.warn = warn;
    }
  })();
  return loading;
}
