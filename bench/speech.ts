// Text to speech on the engines Rialto embeds, in one run: espeak-ng (a child process per sentence, ffmpeg per
// request) and sherpa-onnx Kokoro (the model in a child process of its own, ffmpeg per request), each speaking the
// same English paragraph as 24 kHz wav. Prints, per engine, the real-time factor (wall time ÷ audio length; below 1
// is faster than real time) and the CPU seconds spent per second of audio (this process, its finished children —
// espeak-ng, ffmpeg — and the sherpa-onnx worker process, read from /proc while it runs).
//
//   node --import tsx bench/speech.ts [rounds]
//   RIALTO_BENCH_KOKORO=<folder> node --import tsx bench/speech.ts
//
// The folder is sherpa-onnx's kokoro-multi-lang-v1_0 as unpacked. Without it the bench uses the test suite's tiny
// random-weight Kokoro: that measures Rialto's path (sentence split, espeak-ng phonemes inside sherpa-onnx, IPC,
// ffmpeg) and not a real model's cost, and the table says so.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { sherpaOnnxEngine } from '../src/config/engine-config.ts';
import type { SpeechEngine } from '../src/engines/engine.ts';
import { createEspeakNgEngine } from '../src/engines/espeak-ng/espeak-ng-engine.ts';
import { createSherpaOnnxTtsEngine } from '../src/engines/sherpa-onnx/sherpa-onnx-tts-engine.ts';
import { tinyKokoroFolder } from '../test/fixtures/tiny-kokoro.ts';

const PARAGRAPH = [
  'The quick brown fox jumps over the lazy dog.',
  'Please call Stella and ask her to bring these things with her from the store.',
  'Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob.',
  'We also need a small plastic snake and a big toy frog for the kids.',
  'She can scoop these things into three red bags, and we will go meet her Wednesday at the train station.',
].join(' ');
const TICKS_PER_SECOND = 100;

/** user + system clock ticks of a process (`self`: this one's finished children, cutime + cstime). */
function ticks(pid: number | 'self', children: boolean): number {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return 0;
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command, state is field 3: utime, stime, cutime, cstime (fields 14-17) are at 11-14 here.
  return children
    ? Number(fields[13]) + Number(fields[14])
    : Number(fields[11]) + Number(fields[12]);
}

/** The live sherpa-onnx tts worker processes (children of this process). */
function workers(): number[] {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => pid > 0 && existsSync(`/proc/${pid}/cmdline`))
    .filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sherpa-onnx-tts-worker'),
    );
}

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  const workerTicks = workers().reduce((sum, pid) => sum + ticks(pid, false), 0);
  return (usage.user + usage.system) / 1e6 + (ticks('self', true) + workerTicks) / TICKS_PER_SECOND;
}

interface Row {
  engine: string;
  note: string;
  rtf: number;
  cpuPerSecond: number;
  audioSeconds: number;
}

/** The wav's seconds of 24 kHz 16-bit mono (the header's 44 bytes aside). */
async function speak(engine: SpeechEngine, voice: string): Promise<number> {
  const { audio } = await engine.synthesize(
    { model: 'bench', input: PARAGRAPH, voice, format: 'wav', speed: 1 },
    { signal: new AbortController().signal },
  );
  let bytes = 0;
  for await (const chunk of audio) bytes += chunk.length;
  return (bytes - 44) / 2 / 24_000;
}

async function measure(
  name: string,
  note: string,
  engine: SpeechEngine,
  voice: string,
  rounds: number,
): Promise<Row> {
  await speak(engine, voice); // warm-up: first-call costs are not the steady state
  const cpuBefore = cpuSeconds();
  const start = performance.now();
  let audioSeconds = 0;
  for (let round = 0; round < rounds; round++) audioSeconds += await speak(engine, voice);
  const wall = (performance.now() - start) / 1000;
  const cpu = cpuSeconds() - cpuBefore;
  await engine.close();
  return {
    engine: name,
    note,
    rtf: wall / audioSeconds,
    cpuPerSecond: cpu / audioSeconds,
    audioSeconds: audioSeconds / rounds,
  };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  console.log(
    `${PARAGRAPH.length} characters of English, ${rounds} rounds after a warm-up; load ${loadavg()[0]?.toFixed(1)}`,
  );
  const rows: Row[] = [];
  const espeak = await createEspeakNgEngine({
    kind: 'espeak-ng',
    command: 'espeak-ng',
    ffmpeg: 'ffmpeg',
    concurrency: 1,
  });
  rows.push(await measure('espeak-ng', 'Debian en-us voice', espeak, 'en-us', rounds));
  const real = process.env.RIALTO_BENCH_KOKORO;
  const path = real ?? (await tinyKokoroFolder());
  const kokoro = await createSherpaOnnxTtsEngine(
    sherpaOnnxEngine.parse({ kind: 'sherpa-onnx', family: 'kokoro', path, threads: 2 }),
    '/',
  );
  const note = real ?? 'tiny random-weight (set RIALTO_BENCH_KOKORO for kokoro-multi-lang-v1_0)';
  rows.push(await measure('sherpa-onnx kokoro', note, kokoro, 'af_heart', rounds));
  console.log('\n| engine | model | audio s a round | real-time factor | CPU s per audio s |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const row of rows)
    console.log(
      `| ${row.engine} | ${row.note} | ${row.audioSeconds.toFixed(1)} | ${row.rtf.toFixed(3)} | ${row.cpuPerSecond.toFixed(3)} |`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
