import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LlamaServerEngineConfig } from '../../config.ts';
import type { ModelOf } from '../engine-kind.ts';
import { automaticThreadCount } from '../llama-cpp/thread-count.ts';
import { modelFilePath } from '../model-file.ts';

/** The script that builds llama-server from node-llama-cpp's bundled llama.cpp; `--path` prints where its binary is. */
const BUILD_SCRIPT = fileURLToPath(
  new URL('../../../scripts/build-llama-server.sh', import.meta.url),
);
/** The context a model that configures neither contextSize nor contextLength gets per sequence. */
const DEFAULT_CONTEXT = 4096;

/**
 * The llama-server executable: the model's engine.binary, else $RIALTO_LLAMA_SERVER (the container image sets it to
 * the binary it built), else the build script's; rejects with how to build it.
 */
export function llamaServerBinary(
  configured: string | undefined,
  fromEnvironment = process.env.RIALTO_LLAMA_SERVER,
): Promise<string> {
  if (configured !== undefined) return Promise.resolve(configured);
  if (fromEnvironment !== undefined && fromEnvironment !== '')
    return Promise.resolve(fromEnvironment);
  return new Promise((resolve, reject) => {
    execFile('bash', [BUILD_SCRIPT, '--path'], (error, stdout) => {
      const path = stdout.trim().split('\n').at(-1) ?? '';
      if (error === null && path !== '') resolve(path);
      else
        reject(
          new Error(
            `llama-server is not built${path === '' ? '' : ` (expected at ${path})`}: run scripts/build-llama-server.sh (needs git, cmake and a C++ compiler), or set engine.binary`,
          ),
        );
    });
  });
}

/**
 * llama-server's command line for a model on the Unix socket `socketPath` (a host ending in `.sock` is one to
 * llama-server). The KV cache is split evenly among the `-np` slots (no unified cache), so `-c` is the per-sequence
 * context times the sequences, as llama-cpp's contextSize means.
 */
export function llamaServerArguments(
  model: ModelOf<LlamaServerEngineConfig>,
  modelsDirectory: string,
  socketPath: string,
): string[] {
  const { engine } = model;
  const perSequence = engine.contextSize ?? model.contextLength ?? DEFAULT_CONTEXT;
  const threads = engine.threads === 'auto' ? automaticThreadCount() : engine.threads;
  const options = [
    '--host',
    socketPath,
    '--model',
    modelFilePath(engine.path, modelsDirectory),
    '--alias',
    model.id,
    '--ctx-size',
    String(perSequence * engine.sequences),
    '--parallel',
    String(engine.sequences),
    '--no-kv-unified',
    '--threads',
    String(threads),
    '--threads-batch',
    String(threads),
    '--n-gpu-layers',
    String(engine.gpuLayers),
    // Rialto serves its own console; the child's web UI would only be reachable through its socket anyway.
    '--no-webui',
  ];
  if (engine.mmproj !== undefined)
    options.push('--mmproj', modelFilePath(engine.mmproj, modelsDirectory));
  return [...options, ...engine.arguments];
}
