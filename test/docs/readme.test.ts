import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// #16.11: the README's first screen gets a newcomer to a working chat, and the documentation stays true to the
// repository: every relative link reaches a file (and a heading), every `npm run X` is a script of package.json.
const ROOT = join(import.meta.dirname, '../..');
const DOCS = join(ROOT, 'docs');
const DOCUMENTS = [
  join(ROOT, 'README.md'),
  ...(existsSync(DOCS) ? readdirSync(DOCS) : [])
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
];

/** The text outside fenced code blocks, where links and headings are markdown rather than code. */
function prose(text: string): string {
  return text.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered -1, -2, … */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = match[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

test('the README opens with the two commands a newcomer needs', () => {
  const firstScreen = readFileSync(join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .slice(0, 30)
    .join('\n');
  assert.ok(
    firstScreen.includes('npm install && npm start'),
    'the first 30 lines name `npm install && npm start`',
  );
  assert.ok(firstScreen.includes('npm test'), 'the first 30 lines name `npm test`');
  assert.ok(
    // 150 lines held the first hour's README; issues #17 and #21 add a Performance section of their figures.
    readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length <= 170,
    'the README is short: the reference lives in docs/',
  );
});

test('every relative link in README.md and docs/*.md reaches a file, and its #anchor a heading', () => {
  const broken: string[] = [];
  for (const document of DOCUMENTS) {
    const name = relative(ROOT, document);
    const text = readFileSync(document, 'utf8');
    for (const match of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? document : join(dirname(document), decodeURIComponent(path));
      if (!existsSync(file)) {
        broken.push(`${name}: ${target} (no such file)`);
        continue;
      }
      if (
        anchor !== undefined &&
        file.endsWith('.md') &&
        statSync(file).isFile() &&
        !anchorsOf(readFileSync(file, 'utf8')).has(anchor)
      ) {
        broken.push(`${name}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test('every `npm run X` in README.md and docs/*.md is a script of package.json', () => {
  const scripts = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const unknown: string[] = [];
  for (const document of DOCUMENTS) {
    for (const match of readFileSync(document, 'utf8').matchAll(/npm\s+run\s+([\w:-]+)/g)) {
      if (!(match[1]! in scripts)) unknown.push(`${relative(ROOT, document)}: npm run ${match[1]}`);
    }
  }
  assert.deepEqual(unknown, []);
});

test('docs/architecture.md maps the folders and the request path', () => {
  const map = join(DOCS, 'architecture.md');
  assert.ok(existsSync(map), 'docs/architecture.md exists');
  const text = readFileSync(map, 'utf8');
  for (const path of [
    'src/app.ts',
    'src/cli/serve.ts',
    'src/http/auth.ts',
    'src/services/billing/meter.ts',
    'src/rate-limit/admission.ts',
    'src/services/chat/chat-service.ts',
    'src/engines/engine.ts',
    'src/engines/engine-factory.ts',
  ]) {
    assert.ok(text.includes(path), `names ${path}`);
    assert.ok(existsSync(join(ROOT, path)), `${path} exists`);
  }
});
