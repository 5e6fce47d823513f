// Issue #10.4: `rialto pull` writes into the models folder only. Sources whose file name climbs out (`../`,
// percent-encoded or with backslashes, `hf:` paths with `..`), absolute paths and non-HTTP schemes are refused,
// and so is a symbolic link where the pull would write (the file or its `.partial`), whether it points at a file
// outside or at nothing yet. Pulls go to test/support/model-file-server.ts (which serves the file under any name),
// each case through pullModel (what `rialto pull` runs, src/main.ts) and a few through the real CLI; afterwards
// nothing outside the models folder has changed. HF_TOKEN never reaches the CLI's output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullModel } from '../../src/pull/model-puller.ts';
import { RIALTO_BIN } from '../support/spawn-rialto.ts';
import { startModelFileServer, type ModelFileServer } from '../support/model-file-server.ts';
import { filesUnder } from '../support/secret-scan.ts';

const OUTSIDE_CONTENT = 'an operator file outside the models folder\n';

interface Pulled {
  code: number | null;
  output: string;
}

describe('rialto pull never writes outside the models folder', () => {
  let root: string;
  let outside: string;
  let models: string;
  let config: string;
  let server: ModelFileServer;

  /** Runs `rialto pull <source>`; its exit code and everything it printed. */
  function pull(source: string, environment: NodeJS.ProcessEnv = {}): Promise<Pulled> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [RIALTO_BIN, 'pull', source, '--config', config], {
        env: { ...process.env, HF_TOKEN: '', ...environment },
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.on('exit', (code) => resolve({ code, output }));
    });
  }

  /** pullModel as the CLI calls it; the error message, or undefined when it pulled. */
  async function pullInProcess(source: string): Promise<string | undefined> {
    return pullModel({ source, modelsDirectory: models }).then(
      () => undefined,
      (error: unknown) => (error as Error).message,
    );
  }

  /** Every file under the temp root but the models folder, with its content. */
  function outsideFiles(): Record<string, string> {
    return Object.fromEntries(
      filesUnder(root)
        .filter(({ path }) => !path.startsWith(`${models}/`))
        .map(({ path, bytes }) => [path, bytes.toString('utf8')]),
    );
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'rialto-security-pull-'));
    outside = join(root, 'outside');
    models = join(root, 'data', 'models');
    mkdirSync(outside, { recursive: true });
    mkdirSync(models, { recursive: true });
    writeFileSync(join(outside, 'victim.gguf'), OUTSIDE_CONTENT);
    config = join(root, 'rialto.yaml');
    writeFileSync(config, 'dataDirectory: ./data\n');
    server = await startModelFileServer(Buffer.from('GGUF pretend model bytes'));
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('file names that climb out, absolute paths and other schemes are refused before any download', async () => {
    const before = outsideFiles();
    const requests = server.requests.length;
    const sources = [
      `${server.url}/files/..%2F..%2Fescaped.gguf`,
      `${server.url}/files/%2e%2e%2f%2e%2e%2fescaped.gguf`,
      `${server.url}/files/..%5C..%5Cescaped.gguf`,
      `${server.url}/files/%2Ftmp%2Fescaped.gguf`,
      `${server.url}/files/..`,
      `${server.url}/files/%2e%2e`,
      `${server.url}/files/`,
      'hf:owner/repo/../../escaped.gguf',
      'hf:owner/repo/sub/../../../escaped.gguf',
      'hf:owner/repo//tmp/escaped.gguf',
      'hf:owner/repo/..%2Fescaped.gguf',
      'hf:../repo/escaped.gguf',
      'hf:owner/repo@../escaped.gguf',
      'hf:owner/repo/a\\..\\..\\escaped.gguf',
      join(outside, 'escaped.gguf'),
      `file://${join(outside, 'victim.gguf')}`,
      '../escaped.gguf',
    ];
    for (const source of sources)
      assert.match(
        (await pullInProcess(source)) ?? 'pulled',
        /Refusing|Invalid|Unsupported|does not end with a file name/,
        source,
      );
    // The same through the CLI: exit code 1 and the reason.
    for (const { source, code, output } of await Promise.all(
      sources
        .slice(0, 2)
        .concat(sources.slice(7, 8))
        .map(async (source) => ({ source, ...(await pull(source)) })),
    )) {
      assert.equal(code, 1, `${source} was refused: ${output}`);
      assert.match(output, /Refusing|Invalid/, source);
    }
    assert.equal(server.requests.length, requests, 'nothing was downloaded');
    assert.deepEqual(outsideFiles(), before, 'nothing outside the models folder changed');
    assert.deepEqual(readdirSync(models), [], 'nothing was written in the models folder either');
    assert.equal(
      existsSync(join(root, 'escaped.gguf')) ||
        existsSync(join(root, 'data', 'escaped.gguf')) ||
        existsSync('/tmp/escaped.gguf'),
      false,
    );
  });

  it('a symbolic link where the pull would write is refused; the file it points at is untouched', async () => {
    const before = outsideFiles();
    symlinkSync(join(outside, 'victim.gguf'), join(models, 'partial-link.gguf.partial'));
    symlinkSync(join(outside, 'victim.gguf'), join(models, 'file-link.gguf'));
    symlinkSync(join(outside, 'not-yet.gguf'), join(models, 'dangling-link.gguf'));
    symlinkSync(join(outside, 'not-yet.partial'), join(models, 'dangling-partial.gguf.partial'));
    for (const name of [
      'partial-link.gguf',
      'file-link.gguf',
      'dangling-link.gguf',
      'dangling-partial.gguf',
    ]) {
      assert.match(
        (await pullInProcess(`${server.url}/files/${name}`)) ?? 'pulled',
        /symbolic link/,
        name,
      );
    }
    symlinkSync(join(outside, 'victim.gguf'), join(models, 'cli-link.gguf.partial'));
    const { code, output } = await pull(`${server.url}/files/cli-link.gguf`);
    assert.equal(code, 1, output);
    assert.match(output, /symbolic link/);
    assert.equal(readFileSync(join(outside, 'victim.gguf'), 'utf8'), OUTSIDE_CONTENT);
    assert.deepEqual(outsideFiles(), before, 'nothing outside the models folder changed');
  });

  it('a plain name is pulled into the models folder (the refusals above are not a broken pull)', async () => {
    const { code, output } = await pull(`${server.url}/files/plain.gguf`);
    assert.equal(code, 0, output);
    assert.equal(readFileSync(join(models, 'plain.gguf'), 'utf8'), 'GGUF pretend model bytes');
  });

  it('HF_TOKEN is sent to the Hugging Face endpoint and never printed, even when refused', async () => {
    const token = `hf_${Math.random().toString(36).slice(2)}${Date.now()}`;
    server.settings.requireToken = 'another-token';
    try {
      const { code, output } = await pull('hf:owner/repo/gated.gguf', {
        HF_TOKEN: token,
        RIALTO_HF_ENDPOINT: server.url,
      });
      assert.equal(code, 1, output);
      assert.equal(server.requests.at(-1)?.authorization, `Bearer ${token}`);
      assert.ok(!output.includes(token.slice(3)), `the token is not printed: ${output}`);
    } finally {
      server.settings.requireToken = null;
    }
  });
});
