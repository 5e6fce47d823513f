import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, DEFAULT_SYSTEM_PROMPT, loadConfig, parseConfig } from './config.ts';

const llama = { kind: 'llama-cpp', path: 'tiny.gguf' };

function problemsOf(action: () => unknown): string[] {
  let problems: string[] | undefined;
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    problems = error.problems;
    for (const problem of error.problems)
      assert.ok(error.message.includes(problem), 'the message lists every problem');
    return true;
  });
  return problems ?? [];
}

function assertProblem(problems: string[], pattern: RegExp): void {
  assert.ok(
    problems.some((problem) => pattern.test(problem)),
    `expected ${pattern} in ${JSON.stringify(problems)}`,
  );
}

describe('parseConfig', () => {
  it('fills the defaults', () => {
    const config = parseConfig({});
    assert.equal(config.server.port, 8787);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.bodyLimit, 40 * 1024 * 1024);
    assert.equal(config.systemPrompt, DEFAULT_SYSTEM_PROMPT);
    assert.deepEqual(config.models, []);
    const model = parseConfig({ models: [{ id: 'm', engine: llama }] }).models[0]!;
    assert.equal(model.type, 'text');
    assert.equal(model.capabilities.supportsVision, false);
    assert.equal(model.capabilities.supportsFunctionCalling, true);
    assert.deepEqual(model.traits, []);
    assert.equal(model.engine.kind === 'llama-cpp' && model.engine.sequences, 2);
  });

  it('names each bad field with its path', () => {
    const problems = problemsOf(() =>
      parseConfig({
        server: { port: 70000, bodyLimit: -1 },
        logLevel: 'loud',
        models: [
          { id: 'bad id!', engine: llama },
          { id: 'ok', engine: { kind: 'tensorflow' } },
        ],
      }),
    );
    assertProblem(problems, /^server\.port: /);
    assertProblem(problems, /^server\.bodyLimit: /);
    assertProblem(problems, /^logLevel: /);
    assertProblem(problems, /^models\.0\.id: model ids use only letters, digits and \. _ \/ -$/);
    assertProblem(problems, /^models\.1\.engine(\.kind)?: /);
  });

  it('refuses unknown keys, naming them', () => {
    assertProblem(
      problemsOf(() => parseConfig({ sever: {} })),
      /sever/,
    );
    assertProblem(
      problemsOf(() => parseConfig({ models: [{ id: 'm', engine: { ...llama, thread: 2 } }] })),
      /^models\.0\.engine: .*thread/,
    );
  });

  it('checks engine fields', () => {
    assertProblem(
      problemsOf(() =>
        parseConfig({
          models: [
            { id: 'm', engine: { kind: 'openai-compatible', endpoints: [{ url: 'not a url' }] } },
          ],
        }),
      ),
      /^models\.0\.engine\.endpoints\.0\.url: /,
    );
    assertProblem(
      problemsOf(() =>
        parseConfig({
          models: [{ id: 'm', engine: { kind: 'openai-compatible', endpoints: [] } }],
        }),
      ),
      /^models\.0\.engine\.endpoints: /,
    );
    assertProblem(
      problemsOf(() => parseConfig({ models: [{ id: 'm', engine: { ...llama, sequences: 0 } }] })),
      /^models\.0\.engine\.sequences: /,
    );
  });

  it('refuses duplicate model ids', () => {
    const problems = problemsOf(() =>
      parseConfig({
        models: [
          { id: 'a', engine: llama },
          { id: 'b', engine: llama },
          { id: 'a', engine: llama },
        ],
      }),
    );
    assert.deepEqual(problems, ["models: duplicate id 'a'"]);
  });

  it('a root-level problem is labelled (root)', () => {
    assertProblem(
      problemsOf(() => parseConfig('not an object')),
      /^\(root\): /,
    );
  });
});

describe('loadConfig', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-config-test-'));
  after(() => rmSync(directory, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const path = join(directory, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads YAML and resolves a relative data directory against the file', () => {
    const path = write('a.yaml', 'server:\n  port: 9000\ndataDirectory: ./store\n');
    const config = loadConfig(path, {});
    assert.equal(config.server.port, 9000);
    assert.equal(config.dataDirectory, join(directory, 'store'));
  });

  it('RIALTO_PORT and RIALTO_DATA_DIR override the file', () => {
    const path = write(
      'b.yaml',
      'server:\n  port: 9000\n  host: 0.0.0.0\ndataDirectory: ./store\n',
    );
    const config = loadConfig(path, { RIALTO_PORT: '9100', RIALTO_DATA_DIR: '/var/lib/rialto' });
    assert.equal(config.server.port, 9100);
    assert.equal(config.server.host, '0.0.0.0', 'other server fields stay');
    assert.equal(config.dataDirectory, '/var/lib/rialto');
  });

  it('the environment works without a file', () => {
    const config = loadConfig(undefined, {
      RIALTO_CONFIG: write('c.yaml', 'logLevel: warn\n'),
      RIALTO_PORT: '0',
      RIALTO_LOG_LEVEL: 'error',
      RIALTO_SYSTEM_PROMPT: '',
    });
    assert.equal(config.server.port, 0);
    assert.equal(config.logLevel, 'error');
    assert.equal(config.systemPrompt, '');
  });

  it('a bad RIALTO_PORT is reported against server.port', () => {
    assertProblem(
      problemsOf(() => loadConfig(write('d.yaml', '{}\n'), { RIALTO_PORT: 'eighty' })),
      /^server\.port: /,
    );
  });

  it('unreadable files and bad YAML are clear errors', () => {
    assertProblem(
      problemsOf(() => loadConfig(join(directory, 'missing.yaml'), {})),
      /^cannot read .*missing\.yaml/,
    );
    assertProblem(
      problemsOf(() => loadConfig(write('e.yaml', 'server: [unclosed\n'), {})),
      /^not valid YAML: /,
    );
  });
});
