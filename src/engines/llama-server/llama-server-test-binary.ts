import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = fileURLToPath(
  new URL('../../../scripts/build-llama-server.sh', import.meta.url),
);

/**
 * Where RIALTO_LLAMA_SERVER_REQUIRED=1 (.ci/run sets it when RIALTO_CI_LLAMA_SERVER=1 has it build llama-server) a
 * test that needs llama-server fails without it instead of skipping.
 */
const required = process.env.RIALTO_LLAMA_SERVER_REQUIRED === '1';

/** Runs the build script with `options`; its last line is the binary's path. */
function buildScript(options: string[]): Promise<{ path?: string; error?: string }> {
  return new Promise((resolve) => {
    execFile('bash', [BUILD_SCRIPT, ...options], (error, stdout, stderr) => {
      const path = stdout.trim().split('\n').at(-1) ?? '';
      resolve(
        error === null && path !== ''
          ? { path }
          : { error: stderr.trim().split('\n').slice(-5).join('\n') || `no ${path}` },
      );
    });
  });
}

/**
 * The llama-server the tests run: $RIALTO_LLAMA_SERVER, else the Release build (scripts/build-llama-server.sh), else
 * the test build (`--test`). Where it is required a missing one is built, or waited for while .ci/run builds it in the
 * background (the script's lock), and a failed build throws, so the tests fail instead of skipping. Elsewhere, undefined, said
 * loudly: the tests skip, and the skip must not pass unnoticed.
 */
export async function testLlamaServerBinary(): Promise<string | undefined> {
  const configured = process.env.RIALTO_LLAMA_SERVER;
  if (configured !== undefined && configured !== '') return configured;
  const release = await buildScript(['--path']);
  if (release.path !== undefined) return release.path;
  const test = await buildScript(['--test', '--path']);
  if (test.path !== undefined) return test.path;
  if (required) {
    const built = await buildScript(['--test']);
    if (built.path !== undefined) return built.path;
    throw new Error(`CI needs llama-server and its test build failed: ${built.error}`);
  }
  process.stderr.write(
    `\n*** SKIPPING the llama-server engine's tests: llama-server is not built (${release.error}): run scripts/build-llama-server.sh [--test] ***\n\n`,
  );
  return undefined;
}
