// A child process in llama-server's place for the supervision tests: it takes llama-server's `--host PATH.sock` (and ignores
// its other options) and replays the llama.cpp server recordings there until it is killed. Env:
// REPLAY_CHUNK_DELAY_MS spaces SSE events (a stream stays open while the test kills the child);
// REPLAY_REFUSE_FILE: while that file exists, it exits at once with code 1, as a llama-server that cannot load.
import { existsSync } from 'node:fs';
import { startReplayServer } from './upstream-replay-server.ts';

const refuse = process.env.REPLAY_REFUSE_FILE;
if (refuse !== undefined && existsSync(refuse)) {
  process.stderr.write('error: refusing to start (REPLAY_REFUSE_FILE exists)\n');
  process.exit(1);
}
const socketPath = process.argv[process.argv.indexOf('--host') + 1];
if (socketPath === undefined || !socketPath.endsWith('.sock'))
  throw new Error('replay-llama-server: --host PATH.sock is required');
const chunkDelayMs = Number(process.env.REPLAY_CHUNK_DELAY_MS ?? 0);
await startReplayServer({ flavor: 'llamacpp-server', socketPath, behavior: { chunkDelayMs } });
process.stdout.write(`replaying llama.cpp server recordings on ${socketPath}\n`);
