import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// A server loads the engines its models use and no others (native llama.cpp, TensorFlow.js, onnxruntime take
// seconds and hundreds of MB): the registry's kinds import their engines inside `create` only.
const FACTORY = pathToFileURL(join(import.meta.dirname, 'engine-factory.ts')).href;
const KINDS = pathToFileURL(join(import.meta.dirname, 'engine-kinds.ts')).href;
const CONFIG = pathToFileURL(join(import.meta.dirname, '../config.ts')).href;
const PINO = import.meta.resolve('pino');

test('building the engine set and checking a model of every kind imports no engine', () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-kinds-'));
  try {
    const log = join(directory, 'modules.log');
    writeFileSync(log, '');
    writeFileSync(
      join(directory, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}
`,
    );
    writeFileSync(
      join(directory, 'register.mjs'),
      "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
    );
    const upstream = { endpoints: [{ url: 'http://127.0.0.1:9/v1' }] };
    const models = [
      { id: 'gguf', engine: { kind: 'llama-cpp', path: 'model.gguf' } },
      { id: 'upstream', engine: { kind: 'openai-compatible', ...upstream } },
      { id: 'speaker', type: 'tts', engine: { kind: 'espeak-ng' } },
      { id: 'listener', type: 'asr', engine: { kind: 'pocketsphinx' } },
      {
        id: 'kokoro',
        type: 'tts',
        engine: { kind: 'sherpa-onnx', family: 'kokoro', path: 'kokoro' },
      },
      { id: 'painter', type: 'image', engine: { kind: 'automatic1111', ...upstream } },
      { id: 'upscaler', type: 'upscale', engine: { kind: 'esrgan' } },
      {
        id: 'cutter',
        type: 'image',
        engine: { kind: 'onnx-background-removal', path: 'u2net.onnx' },
      },
      { id: 'director', type: 'video', engine: { kind: 'venice', ...upstream } },
      {
        id: 'comfy',
        type: 'image',
        engine: { kind: 'comfyui', ...upstream, workflow: 'sdxl.json', outputs: ['9'] },
      },
    ];
    writeFileSync(
      join(directory, 'plan.mjs'),
      `const { pino } = await import(${JSON.stringify(PINO)});
const { parseConfig } = await import(${JSON.stringify(CONFIG)});
const { builtInEngineRegistry } = await import(${JSON.stringify(KINDS)});
await import(${JSON.stringify(FACTORY)});
const config = parseConfig({ models: ${JSON.stringify(models)} });
const factory = builtInEngineRegistry().open({ logger: pino({ level: 'silent' }), modelsDirectory: '/nowhere' });
for (const model of config.models) factory.plan(model);
`,
    );
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        pathToFileURL(join(directory, 'register.mjs')).href,
        join(directory, 'plan.mjs'),
      ],
      { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') },
    );
    assert.equal(run.status, 0, run.stderr);
    const loaded = [...new Set(readFileSync(log, 'utf8').split('\n'))];
    assert.ok(
      loaded.some((url) => url.endsWith('/engines/llama-cpp/llama-cpp-kind.ts')),
      'the hook saw the kinds load',
    );
    const engines = loaded.filter(
      (url) =>
        /\/src\/engines\/.+\/(?!.*-kind\.ts$)/.test(url) ||
        /\/node_modules\/(node-llama-cpp|@tensorflow|onnxruntime-node|undici|sharp)\//.test(url),
    );
    assert.deepEqual(engines, []);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
