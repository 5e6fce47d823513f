import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One pino JSON line as a person reads it: `12:03:04.567 WARN  message key=value …`. */
export function prettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time =
    typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${time} ${LEVELS[record.level as number] ?? String(record.level)} ${String(record.msg ?? '')}${fields.length === 0 ? '' : `  ${fields.join(' ')}`}`;
}

/**
 * Where serve's log goes: pino's JSON lines on stdout when stdout is not a terminal (a collector reads them), or
 * when RIALTO_LOG_FORMAT=json; in a terminal, or with RIALTO_LOG_FORMAT=pretty, readable lines instead. Undefined
 * means pino's own stdout destination.
 */
export function logDestination(
  format: string | undefined = process.env.RIALTO_LOG_FORMAT,
  isTerminal = process.stdout.isTTY === true,
): Writable | undefined {
  const pretty =
    format === 'pretty' ||
    ((format === undefined || format === '' || format === 'auto') && isTerminal);
  if (format !== undefined && !['', 'auto', 'json', 'pretty'].includes(format))
    throw new Error(
      `RIALTO_LOG_FORMAT must be auto, json or pretty, not ${JSON.stringify(format)}`,
    );
  if (!pretty) return undefined;
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.length > 0) process.stdout.write(`${lines.map(prettyLine).join('\n')}\n`);
      done();
    },
  });
}
