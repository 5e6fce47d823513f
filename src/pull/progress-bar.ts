import type { PullProgress } from './model-puller.ts';

const BAR_WIDTH = 20;

// One status line, e.g. "model.gguf  45% [#########           ] 12.3/27.0 MB  5.1 MB/s".
// Sizes are decimal (MB = 10^6 bytes), as Hugging Face shows them.
export function renderProgress(progress: PullProgress, fileName: string): string {
  const speed = `${formatAmount(progress.bytesPerSecond, unitFor(progress.bytesPerSecond))}/s`;
  const total = progress.totalBytes;
  if (total === null || total <= 0) {
    return `${fileName}  ${formatAmount(progress.receivedBytes, unitFor(progress.receivedBytes))}  ${speed}`;
  }
  const fraction = Math.min(1, Math.max(0, progress.receivedBytes / total));
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}]`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const unit = unitFor(total);
  const amounts = `${formatNumber(progress.receivedBytes / unit.size)}/${formatAmount(total, unit)}`;
  return `${fileName} ${percent} ${bar} ${amounts}  ${speed}`;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressReporter {
  update(progress: PullProgress): void;
  // Prints the last state for good and ends the line; call once the pull settles.
  finish(): void;
}

// On a terminal the line is redrawn in place; in logs and pipes (no TTY) a line is printed at
// most every `lineIntervalMs`, so CI output stays readable.
export function createProgressReporter(
  fileName: string,
  stream: ProgressStream = process.stderr,
  lineIntervalMs = 5000,
): ProgressReporter {
  let last: PullProgress | null = null;
  let lastLineAt = -Infinity;
  let printedSinceUpdate = false;
  return {
    update(progress) {
      last = progress;
      printedSinceUpdate = false;
      if (stream.isTTY === true) {
        // \x1b[K clears what a longer previous line left behind.
        stream.write(`\r${renderProgress(progress, fileName)}\x1b[K`);
        return;
      }
      const now = performance.now();
      if (now - lastLineAt < lineIntervalMs) return;
      lastLineAt = now;
      printedSinceUpdate = true;
      stream.write(`${renderProgress(progress, fileName)}\n`);
    },
    finish() {
      if (last === null) return;
      if (stream.isTTY === true) stream.write('\n');
      else if (!printedSinceUpdate) stream.write(`${renderProgress(last, fileName)}\n`);
      last = null;
    },
  };
}

interface Unit {
  size: number;
  name: string;
}

const UNITS: readonly Unit[] = [
  { size: 1e9, name: 'GB' },
  { size: 1e6, name: 'MB' },
  { size: 1e3, name: 'kB' },
];

function unitFor(bytes: number): Unit {
  return UNITS.find((unit) => bytes >= unit.size) ?? { size: 1, name: 'B' };
}

function formatAmount(bytes: number, unit: Unit): string {
  if (unit.size === 1) return `${Math.round(bytes)} B`;
  return `${formatNumber(bytes / unit.size)} ${unit.name}`;
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '0.0';
}
