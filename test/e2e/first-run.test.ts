import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { startServe } from '../support/serve-process.ts';
import { unusedUrl } from '../support/upstream/automatic1111-server.ts';

// #16.1, 2, 4, 6: a newcomer's first run, as the README tells it: the shipped rialto.yaml, a GGUF in data/models,
// `rialto serve`, and the key it prints. And the start errors that must end the process rather than hang it.

const REPOSITORY = join(import.meta.dirname, '../..');

function folder(): string {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-first-run-'));
  mkdirSync(join(directory, 'data', 'models'), { recursive: true });
  return directory;
}

const quietEnvironment = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const {
    RIALTO_ADMIN_KEY: _key,
    RIALTO_CONFIG: _config,
    RIALTO_DATA_DIR: _data,
    RIALTO_PORT: _port,
    ...rest
  } = process.env;
  return { ...rest, ...extra };
};

test('first run: the shipped rialto.yaml and a GGUF in data/models answer model "default" through the openai client with the key printed once', async () => {
  const directory = folder();
  copyFileSync(join(REPOSITORY, 'rialto.yaml'), join(directory, 'rialto.yaml'));
  copyFileSync(await tinyModelPath(), join(directory, 'data', 'models', 'tiny-chat.gguf'));
  const server = startServe(['--port', '0'], { cwd: directory, env: quietEnvironment() });
  try {
    const [, key] = await server.waitFor(/API key:\s+(rk-[0-9a-f]{16}-[A-Za-z0-9_-]{43})\n/);
    const [, base] = await server.waitFor(/API base:\s+(http:\/\/\S+\/v1)\s/);
    assert.match(server.stdout(), /Console:\s+http:\/\/\S+\/console\//);
    // The key is on stdout in the banner only, never in a log line.
    for (const line of server
      .stdout()
      .split('\n')
      .filter((text) => text.startsWith('{')))
      assert.ok(!line.includes(key!), `a log line carries the key: ${line}`);
    const client = new OpenAI({ apiKey: key!, baseURL: base!, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Hello!' }],
      max_tokens: 3,
      temperature: 0,
    });
    assert.equal(completion.model, 'tiny-chat');
    assert.ok((completion.choices[0]?.message.content ?? '').length > 0);
    // An ADMIN key: it reaches the admin routes.
    const keys = await fetch(`${base}/api_keys`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(keys.status, 200);
  } finally {
    await server.stop();
  }
  // A second start finds the key: it creates and prints none.
  const again = startServe(['--port', '0'], { cwd: directory, env: quietEnvironment() });
  try {
    await again.waitFor(/Rialto listening on/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.doesNotMatch(again.stdout(), /API key:/);
  } finally {
    await again.stop();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('RIALTO_ADMIN_KEY is stored as an ADMIN key and prints nothing; a malformed one stops the start with exit 1', async () => {
  const directory = folder();
  writeFileSync(
    join(directory, 'rialto.yaml'),
    'server: { port: 0 }\ndiscoverModels: false\nmodels: []\n',
  );
  const fixed = `rk-${'0123456789abcdef'}-${'A'.repeat(43)}`;
  const server = startServe([], {
    cwd: directory,
    env: quietEnvironment({ RIALTO_ADMIN_KEY: fixed }),
  });
  try {
    const [, url] = await server.waitFor(/Rialto listening on (http:\/\/[^\s"/]+)/);
    assert.doesNotMatch(server.stdout(), /API key:/);
    assert.ok(!server.stdout().includes(fixed));
    assert.equal(
      (await fetch(`${url}/v1/api_keys`, { headers: { authorization: `Bearer ${fixed}` } })).status,
      200,
    );
    assert.equal(
      (
        await fetch(`${url}/v1/api_keys`, {
          headers: { authorization: `Bearer ${fixed.slice(0, -1)}B` },
        })
      ).status,
      401,
    );
  } finally {
    await server.stop();
  }
  const refused = startServe([], {
    cwd: directory,
    env: quietEnvironment({ RIALTO_ADMIN_KEY: 'sk-master-1234' }),
  });
  try {
    assert.equal(await refused.exit(), 1);
    assert.match(refused.stderr(), /RIALTO_ADMIN_KEY is refused/);
  } finally {
    await refused.stop();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('fatal start errors end the process with exit 1 and one line: port in use, unreadable database, a configured model file that is no GGUF', async () => {
  const directory = folder();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  const cases: { name: string; config: string; pattern: RegExp; prepare?: () => void }[] = [
    {
      name: 'port in use',
      config: `server: { port: ${port} }\ndiscoverModels: false\nmodels: []\n`,
      pattern: /EADDRINUSE/,
    },
    {
      name: 'unreadable database',
      config: 'server: { port: 0 }\ndiscoverModels: false\nmodels: []\n',
      pattern: /cannot open the store/,
      prepare: () => mkdirSync(join(directory, 'data', 'rialto.db'), { recursive: true }),
    },
    {
      name: 'invalid model file',
      pattern: /broken\.gguf/,
      prepare: () =>
        writeFileSync(join(directory, 'data', 'models', 'broken.gguf'), 'this is not a model'),
      config:
        'server: { port: 0 }\ndiscoverModels: false\nmodels:\n  - { id: broken, engine: { kind: llama-cpp, path: broken.gguf } }\n',
    },
  ];
  try {
    for (const { name, config, pattern, prepare } of cases) {
      rmSync(join(directory, 'data'), { recursive: true, force: true });
      mkdirSync(join(directory, 'data', 'models'), { recursive: true });
      prepare?.();
      writeFileSync(join(directory, 'rialto.yaml'), config);
      const server = startServe([], { cwd: directory, env: quietEnvironment() });
      try {
        // exit() has a hang guard: a process that never exits is killed and fails here.
        const code = await server.exit();
        assert.equal(code, 1, `${name}: exit ${code}\n${server.stdout()}\n${server.stderr()}`);
        const lines = server.stderr().trim().split('\n');
        assert.equal(lines.length, 1, `${name}: ${server.stderr()}`);
        assert.match(lines[0]!, /^rialto: /);
        assert.match(lines[0]!, pattern, name);
      } finally {
        await server.stop();
      }
    }
  } finally {
    taken.close();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('/v1 serves the API of /api/v1, / leads to the console, and the start line names the console', async () => {
  const directory = folder();
  writeFileSync(
    join(directory, 'rialto.yaml'),
    `server: { port: 0 }\ndiscoverModels: false\nmodels:\n  - { id: remote, engine: { kind: openai-compatible, endpoints: [{ url: "${await unusedUrl()}" }] } }\n`,
  );
  const server = startServe([], { cwd: directory, env: quietEnvironment() });
  try {
    const [line, url] = await server.waitFor(/Rialto listening on (http:\/\/[^\s"/]+)[^\n]*/);
    assert.match(line, /console at http:\/\/\S+\/console\//);
    const [viaV1, viaApi] = await Promise.all([
      fetch(`${url}/v1/models`),
      fetch(`${url}/api/v1/models`),
    ]);
    assert.equal(viaV1.status, 200);
    assert.deepEqual(await viaV1.json(), await viaApi.json());
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/console/');
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a configured default whose upstream is down yields `default` to a discovered GGUF; the log says which and why (credentials redacted)', async () => {
  const directory = folder();
  copyFileSync(await tinyModelPath(), join(directory, 'data', 'models', 'tiny-chat.gguf'));
  const down = (await unusedUrl()).replace('http://', 'http://user:hunter2@');
  writeFileSync(
    join(directory, 'rialto.yaml'),
    [
      'server: { port: 0 }',
      'logLevel: info',
      'models:',
      `  - { id: ollama-model, traits: [default, fastest], engine: { kind: openai-compatible, endpoints: [{ url: "${down}/v1" }] } }`,
      '',
    ].join('\n'),
  );
  const fixed = `rk-${'00000000000000aa'}-${'b'.repeat(43)}`;
  const server = startServe([], {
    cwd: directory,
    env: quietEnvironment({ RIALTO_ADMIN_KEY: fixed }),
  });
  try {
    const [, url] = await server.waitFor(/Rialto listening on (http:\/\/[^\s"/]+)/);
    const traits = (await (await fetch(`${url}/v1/models/traits?type=text`)).json()) as {
      data: Record<string, string>;
    };
    assert.deepEqual(traits.data, { default: 'tiny-chat', fastest: 'tiny-chat' });
    const models = (await (await fetch(`${url}/v1/models`)).json()) as {
      data: { id: string; model_spec: { offline: boolean } }[];
    };
    assert.deepEqual(
      models.data.map((model) => [model.id, model.model_spec.offline]),
      [
        ['ollama-model', true],
        ['tiny-chat', false],
      ],
    );
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixed}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'default',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 2,
      }),
    });
    assert.equal(chat.status, 200);
    const lines = server
      .stdout()
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    const down1 = lines.filter((line) => line.model === 'ollama-model' && line.level === 40);
    assert.equal(down1.length, 1, server.stdout());
    assert.match(String(down1[0]!.upstream), /user:\*\*\*@/);
    assert.ok(!server.stdout().includes('hunter2'));
    assert.ok(
      lines.some(
        (line) =>
          line.model === 'tiny-chat' && /model "default" is tiny-chat/.test(String(line.msg)),
      ),
      server.stdout(),
    );
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('logs: JSON lines when stdout is not a terminal, readable lines with RIALTO_LOG_FORMAT=pretty or logFormat: pretty', async () => {
  const directory = folder();
  const fixed = `rk-${'00000000000000ee'}-${'f'.repeat(43)}`;
  for (const format of [undefined, 'pretty', 'config']) {
    writeFileSync(
      join(directory, 'rialto.yaml'),
      `server: { port: 0 }\ndiscoverModels: false\nmodels: []\n${format === 'config' ? 'logFormat: pretty\n' : ''}`,
    );
    const server = startServe([], {
      cwd: directory,
      env: quietEnvironment({
        RIALTO_ADMIN_KEY: fixed,
        ...(format === 'pretty' ? { RIALTO_LOG_FORMAT: format } : {}),
      }),
    });
    try {
      const [line] = await server.waitFor(/^.*Rialto listening on .*$/m);
      if (format === undefined) assert.equal((JSON.parse(line) as { level: number }).level, 30);
      else {
        assert.match(
          line,
          /^\d\d:\d\d:\d\d\.\d{3} INFO {2}Rialto listening on http:\/\/\S+\/api\/v1/,
        );
        assert.ok(
          !server
            .stdout()
            .split('\n')
            .some((text) => text.startsWith('{')),
          server.stdout(),
        );
      }
    } finally {
      await server.stop();
    }
  }
  rmSync(directory, { recursive: true, force: true });
});
