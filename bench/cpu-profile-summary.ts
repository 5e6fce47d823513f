/**
 * Where a process's CPU went, from a V8 .cpuprofile (`node --cpu-prof`; for Rialto under the gateway bench:
 * BENCH_RIALTO_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench):
 *
 *   node --import tsx bench/cpu-profile-summary.ts /tmp/prof/CPU.….cpuprofile [rows] [FROM TO]
 *
 * FROM TO (µs on CLOCK_MONOTONIC, the clock of the profile's timestamps, as bench:fanout prints its relay window)
 * keep only the samples taken between them.
 * Prints, as shares of the busy (non-idle) samples: self time by package or file, and each sample charged to the
 * deepest frame of Rialto's own code (src/ or dist/) on its stack, so a library call counts for the function of ours
 * that made it ("[no own frame]" when none: Node's HTTP stack, timers, GC). Samples are wall-clock, so on a loaded
 * machine a syscall waiting for a core counts too: compare shares, not times, and those of one run.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArgument, fromArgument, toArgument] = process.argv.slice(2);
const from = Number(fromArgument ?? Number.NEGATIVE_INFINITY);
const to = Number(toArgument ?? Number.POSITIVE_INFINITY);
if (file === undefined) {
  process.stderr.write('usage: cpu-profile-summary.ts FILE.cpuprofile [rows]\n');
  process.exit(2);
}
const rows = Number(rowsArgument ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);

const ownCode = (url: string): boolean =>
  /\/(src|dist)\//.test(url) && !url.includes('node_modules');
const packageOf = (url: string, name: string): string =>
  url.includes('node_modules')
    ? url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')
    : url.replace(/^file:\/\/.*\/(src|dist)\//, '$1/') || name;

const self = new Map<string, number>();
const owner = new Map<string, number>();
let busy = 0;
let time = profile.startTime;
const add = (map: Map<string, number>, key: string, value: number): void => {
  map.set(key, (map.get(key) ?? 0) + value);
};
for (const [index, sample] of profile.samples.entries()) {
  const leaf = byId.get(sample);
  const delta = profile.timeDeltas[index] ?? 0;
  time += delta;
  if (time < from || time > to) continue;
  if (leaf === undefined || leaf.callFrame.functionName === '(idle)') continue;
  busy += delta;
  add(self, packageOf(leaf.callFrame.url, leaf.callFrame.functionName), delta);
  let charged = `[no own frame] ${packageOf(leaf.callFrame.url, leaf.callFrame.functionName)}`;
  for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (ownCode(url)) {
      charged = `${functionName || '(anonymous)'} ${url.replace(/.*\/(src|dist)\//, '')}:${lineNumber + 1}`;
      break;
    }
  }
  add(owner, charged, delta);
}
const print = (title: string, map: Map<string, number>): string =>
  `${title}\n${[...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([key, time]) => `${((100 * time) / busy).toFixed(1).padStart(5)} %  ${key}`)
    .join('\n')}\n`;
process.stdout.write(
  `busy ${(busy / 1e6).toFixed(2)} s of samples\n\n${print('Self time by package or file:', self)}\n${print('Charged to the deepest frame of our code:', owner)}`,
);
