import { llamaServerBinary } from './llama-server-arguments.ts';

/**
 * The llama-server the tests run, or undefined, said loudly: CI does not build it (scripts/build-llama-server.sh takes
 * minutes), so its tests skip there rather than fail, and the skip must not pass unnoticed.
 */
export async function testLlamaServerBinary(): Promise<string | undefined> {
  try {
    return await llamaServerBinary(process.env.RIALTO_LLAMA_SERVER);
  } catch (error) {
    process.stderr.write(
      `\n*** SKIPPING the llama-server engine's tests: ${error instanceof Error ? error.message : String(error)} ***\n\n`,
    );
    return undefined;
  }
}
