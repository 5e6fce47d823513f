// Node 20 treats a file's tests as done once the tests registered so far are: under --test-force-exit (which the
// runner passed until 2026-12-07) a suite registered after a top-level `await` that follows the first registration
// never ran, and nothing reported it (store.contract.test.ts ran 128 of its 196 tests: no SQLite file, no
// PostgreSQL); scripts/test-exit-guard.mjs, which replaced it, starts its grace then too, and the completeness
// reporter (scripts/test-completeness.mjs) would fail such a run.
// So in every test file, each top-level await comes before the first top-level call (describe, it, test, after,
// a define…Contract helper). Read with TypeScript's parser, so an await inside a call's arguments counts too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..');

/** Whether `node` holds an await outside any function (one that runs while the module is evaluated). */
function awaitsAtTopLevel(node: ts.Node): boolean {
  if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier !== undefined))
    return true;
  if (ts.isFunctionLike(node) || ts.isClassLike(node)) return false;
  return ts.forEachChild(node, awaitsAtTopLevel) === true;
}

/** Whether a top-level statement registers something with the runner: a bare call (describe(…), after(…), …). */
function registers(statement: ts.Statement): boolean {
  return ts.isExpressionStatement(statement) && ts.isCallExpression(statement.expression);
}

/** The line of each top-level await that follows the file's first registration. */
export function latePauses(source: string, file = 'file.ts'): number[] {
  const parsed = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const lines: number[] = [];
  let registered = false;
  for (const statement of parsed.statements) {
    if (registered && awaitsAtTopLevel(statement))
      lines.push(parsed.getLineAndCharacterOfPosition(statement.getStart()).line + 1);
    if (registers(statement)) registered = true;
  }
  return lines;
}

test('the shape check finds an await after the first suite, in a statement or a call argument', () => {
  assert.deepEqual(latePauses("describe('a', () => {});\nconst skip = await probe();\n"), [2]);
  assert.deepEqual(
    latePauses("describe('a', () => {});\ndescribe('b', { skip: await probe() }, () => {});\n"),
    [2],
  );
  assert.deepEqual(
    latePauses("const skip = await probe();\ndescribe('a', async () => { await x(); });\n"),
    [],
  );
});

test('no test file pauses at its top level after registering a suite or a hook', () => {
  const files = execFileSync('git', ['ls-files', '*.test.ts'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '');
  assert.ok(files.length > 100, `found ${files.length} test files`);
  const late = files.flatMap((file) =>
    latePauses(readFileSync(join(ROOT, file), 'utf8'), file).map((line) => `${file}:${line}`),
  );
  assert.deepEqual(late, [], 'move these awaits above the first describe/it/test/after call');
});
