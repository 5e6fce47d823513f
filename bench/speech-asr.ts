// Speech recognition on the engines Rialto embeds, in one run: PocketSphinx (a child process per request) and
// sherpa-onnx (Whisper, Parakeet TDT; in-process on libuv's threadpool, Silero VAD cutting the audio), each
// transcribing the same spoken English (espeak-ng sentences with pauses, about 30 s). Prints, per engine, the
// real-time factor (wall time ÷ audio length; below 1 is faster than real time) and the CPU seconds spent per
// second of audio (this process and its children: ffmpeg, pocketsphinx).
//
//   node --import tsx bench/speech-asr.ts [rounds]
//   RIALTO_BENCH_WHISPER=<folder> RIALTO_BENCH_PARAKEET=<folder> node --import tsx bench/speech-asr.ts
//
// The folders are sherpa-onnx archives as unpacked (e.g. sherpa-onnx-whisper-tiny.en,
// sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8, with silero_vad.onnx copied in). Without them the bench uses the
// test suite's tiny random-weight models: that measures Rialto's path (ffmpeg, VAD, pieces, the addon's calls)
// and not a real model's cost, and the table says so.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sherpaOnnxEngine } from '../src/config/engine-config.ts';
import type { TranscriptionEngine } from '../src/engines/engine.ts';
import { createPocketsphinxEngine } from '../src/engines/pocketsphinx/pocketsphinx-engine.ts';
import { createSherpaOnnxAsrEngine } from '../src/engines/sherpa-onnx/sherpa-onnx-asr-engine.ts';
import { writeTinyParakeet } from '../test/fixtures/tiny-parakeet.ts';
import { writeTinySilero } from '../test/fixtures/tiny-silero.ts';
import { writeTinyWhisper } from '../test/fixtures/tiny-whisper.ts';

const SENTENCES = [
  'the quick brown fox jumps over the lazy dog',
  'please call stella and ask her to bring these things with her from the store',
  'six spoons of fresh snow peas and five thick slabs of blue cheese',
  'we also need a small plastic snake and a big toy frog for the kids',
  'she can scoop these things into three red bags and we will go meet her',
  'the president said the economy is growing faster than expected this year',
];

/** Clock ticks of this process's waited-for children (user + system), from /proc/self/stat. */
function childTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
  return Number(fields[13]) + Number(fields[14]);
}
const TICKS_PER_SECOND = 100;

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6 + childTicks() / TICKS_PER_SECOND;
}

/** espeak-ng speaks each sentence; ffmpeg joins them with a second of silence between, 16 kHz mono WAV. */
function speech(folder: string): { wav: Buffer; seconds: number } {
  const parts: string[] = [];
  SENTENCES.forEach((sentence, index) => {
    const file = join(folder, `s${index}.wav`);
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', file, sentence]);
    parts.push(file);
  });
  const list = parts
    .map((file) => `file '${file}'\nfile '${join(folder, 'pause.wav')}'`)
    .join('\n');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'anullsrc=r=22050:cl=mono',
    '-t',
    '1',
    '-c:a',
    'pcm_s16le',
    join(folder, 'pause.wav'),
  ]);
  execFileSync('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', list, join(folder, 'list.txt')]);
  const out = join(folder, 'speech.wav');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    join(folder, 'list.txt'),
    '-ac',
    '1',
    '-ar',
    '16000',
    '-c:a',
    'pcm_s16le',
    '-y',
    out,
  ]);
  const wav = readFileSync(out);
  return { wav, seconds: (wav.length - 44) / 32_000 };
}

interface Row {
  engine: string;
  note: string;
  rtf: number;
  cpuPerSecond: number;
  words: number;
}

async function measure(
  name: string,
  note: string,
  engine: TranscriptionEngine,
  audio: { wav: Buffer; seconds: number },
  rounds: number,
): Promise<Row> {
  const signal = new AbortController().signal;
  const run = () =>
    engine.transcribe(
      {
        model: name,
        audio: audio.wav,
        timestamps: true,
        decodeLimits: { maxSeconds: 600, timeoutSeconds: 120 },
      },
      { signal },
    );
  await run(); // warm-up: first-call costs (page cache, allocations) are not the steady state
  const cpuBefore = cpuSeconds();
  const start = performance.now();
  let words = 0;
  for (let round = 0; round < rounds; round++)
    words = (await run()).text.split(/\s+/).filter(Boolean).length;
  const wall = (performance.now() - start) / 1000;
  const cpu = cpuSeconds() - cpuBefore;
  await engine.close();
  const audioSeconds = audio.seconds * rounds;
  return { engine: name, note, rtf: wall / audioSeconds, cpuPerSecond: cpu / audioSeconds, words };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const folder = mkdtempSync(join(tmpdir(), 'rialto-bench-asr-'));
  try {
    const audio = speech(folder);
    console.log(
      `audio: ${audio.seconds.toFixed(1)} s of espeak-ng speech, ${rounds} rounds after a warm-up; load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
    );
    const rows: Row[] = [];
    rows.push(
      await measure(
        'pocketsphinx',
        'Debian en-us model',
        await createPocketsphinxEngine({ kind: 'pocketsphinx', ffmpeg: 'ffmpeg', concurrency: 1 }),
        audio,
        rounds,
      ),
    );
    const sherpa = async (family: 'whisper' | 'nemo-transducer', env: string, name: string) => {
      let path = process.env[env];
      let note = path ?? '';
      if (path === undefined) {
        path = join(folder, family);
        if (family === 'whisper') await writeTinyWhisper(path);
        else await writeTinyParakeet(path);
        await writeTinySilero(join(path, 'silero_vad.onnx'));
        note = `tiny random-weight (set ${env} for a real model)`;
      }
      const config = sherpaOnnxEngine.parse({ kind: 'sherpa-onnx', family, path, threads: 2 });
      rows.push(
        await measure(name, note, await createSherpaOnnxAsrEngine(config, folder), audio, rounds),
      );
    };
    await sherpa('whisper', 'RIALTO_BENCH_WHISPER', 'sherpa-onnx whisper');
    await sherpa('nemo-transducer', 'RIALTO_BENCH_PARAKEET', 'sherpa-onnx parakeet');
    console.log('\n| engine | model | real-time factor | CPU s per audio s | words |');
    console.log('| --- | --- | ---: | ---: | ---: |');
    for (const row of rows)
      console.log(
        `| ${row.engine} | ${row.note} | ${row.rtf.toFixed(3)} | ${row.cpuPerSecond.toFixed(3)} | ${row.words} |`,
      );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
