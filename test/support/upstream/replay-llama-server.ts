// A child process in llama-server's place for the supervision tests: it takes llama-server's `--port N` (and ignores
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
const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
if (!Number.isInteger(port) || port <= 0)
  throw new Error('replay-llama-server: --port N is required');
const chunkDelayMs = Number(process.env.REPLAY_CHUNK_DELAY_MS ?? 0);
await startReplayServer({ flavor: 'llamacpp-server', port, behavior: { chunkDelayMs } });
process.stdout.write(`replaying llama.cpp server recordings on 127.0.0.1:${port}\n`);
