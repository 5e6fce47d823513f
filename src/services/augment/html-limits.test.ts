import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { htmlTooComplex } from './html-limits.ts';

const LIMITS = { maxBytes: 1024 * 1024, maxElements: 1000, maxDepth: 32 };

describe('htmlTooComplex', () => {
  it('counts nesting as the HTML parser builds it: implied end tags close siblings, void elements and raw text open nothing', () => {
    const list = `<ul>${'<li>item <p>para'.repeat(400)}</ul>`;
    const table = `<table>${'<tr><td>a<td>b'.repeat(200)}</table>`;
    const voids = `<p>${'<br><img src=x><input>'.repeat(100)}</p>`;
    const scripts = `<script>${'<div>'.repeat(100)}</script><style>${'<div>'.repeat(100)}</style><!-- ${'<div>'.repeat(100)} -->`;
    const svg = `<svg>${'<path d="M0"/>'.repeat(100)}</svg>`;
    for (const html of [list, table, voids, scripts, svg])
      assert.equal(
        htmlTooComplex(`<html><body>${html}</body></html>`, LIMITS),
        undefined,
        html.slice(0, 40),
      );
  });

  it('refuses depth (even written as <div/>, which HTML does not close), element count and size', () => {
    assert.equal(
      htmlTooComplex(`<body>${'<div>'.repeat(40)}</body>`, LIMITS),
      'The page nests elements more than 32 deep.',
    );
    assert.equal(
      htmlTooComplex(`<body>${'<div/>'.repeat(40)}</body>`, LIMITS),
      'The page nests elements more than 32 deep.',
    );
    assert.equal(
      htmlTooComplex(`<body>${'<span>x</span>'.repeat(1001)}</body>`, LIMITS),
      'The page has more than 1000 elements.',
    );
    assert.equal(
      htmlTooComplex('x'.repeat(1024 * 1024 + 1), LIMITS),
      'The page is larger than 1 MB of HTML.',
    );
  });

  it('reads text full of unclosed angle brackets in one pass', () => {
    assert.equal(
      htmlTooComplex(`<body>${'<a'.repeat(200_000)}</body>`, { ...LIMITS, maxBytes: 2 ** 30 }),
      undefined,
    );
  });
});
