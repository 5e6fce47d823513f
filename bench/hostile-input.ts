/**
 * Hostile input against `rialto serve` (issue #15): a DOCX that unpacks to 150 MB sent to /augment/text-parser, and
 * pages of 20,000 nested <div>s and of 4.7 MB of flat markup sent to /augment/scrape (served from 127.0.0.1). Each
 * runs against Rialto with its default caps (refused from the zip directory or a tag scan) and with the caps lifted
 * (only the parser processes' heap and time limits stand). For each: the answer and the time to it, /health latency
 * polled every 100 ms during it (max, and its ratio to the max with no attack, measured in the same run), and the
 * peak RSS growth of the server process and of its parser processes (Linux /proc).
 *
 *   npm run bench:hostile
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { deepPage, docxBomb, flatPage } from '../test/fixtures/document-bombs.ts';
import {
  createInferenceKey,
  fixed,
  freePort,
  onCleanup,
  runBench,
  startRialtoServer,
  table,
  temporaryDirectory,
  writeRialtoConfig,
} from './harness.ts';

const MODEL = 'reader';
const POLL_MS = 100;
const LIFTED = {
  workers: 2,
  memoryMb: 512,
  timeoutMs: 10_000,
  archive: { maxUnpackedBytes: 2 ** 40, maxEntries: 1e6, maxCompressionRatio: 1e6 },
  html: { maxBytes: 2 ** 40, maxElements: 1e9, maxDepth: 1e6 },
};

/** Resident memory of `pid` in MB (0 once it is gone). */
function rssMb(pid: number): number {
  try {
    return (
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
    );
  } catch {
    return 0;
  }
}

/** The RSS of `pid`'s child processes together (the parser processes). */
function childrenRssMb(pid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid)
        total += rssMb(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

interface Sample {
  healthMaxMs: number;
  serverPeakMb: number;
  parsersPeakMb: number;
}

/** Polls /health every 100 ms and samples memory until `work` settles. */
async function measured<T>(
  origin: string,
  pid: number,
  work: Promise<T>,
): Promise<{ result: T; sample: Sample }> {
  let done = false;
  const baseServer = rssMb(pid);
  const baseParsers = childrenRssMb(pid);
  const sample: Sample = { healthMaxMs: 0, serverPeakMb: 0, parsersPeakMb: 0 };
  const memory = setInterval(() => {
    sample.serverPeakMb = Math.max(sample.serverPeakMb, rssMb(pid) - baseServer);
    sample.parsersPeakMb = Math.max(sample.parsersPeakMb, childrenRssMb(pid) - baseParsers);
  }, POLL_MS);
  const polling = (async () => {
    while (!done) {
      const started = performance.now();
      await (await fetch(`${origin}/health`)).arrayBuffer();
      sample.healthMaxMs = Math.max(sample.healthMaxMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  try {
    return { result: await work, sample };
  } finally {
    done = true;
    clearInterval(memory);
    await polling;
  }
}

async function startPages(): Promise<string> {
  const pages: Record<string, string> = {
    '/deep': deepPage(20_000),
    '/flat': flatPage(4.7 * 1000 * 1000),
  };
  const server = createServer((request, response) => {
    const page = pages[request.url ?? ''];
    if (page === undefined) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup('page server', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startServer(
  name: string,
  parsers: Record<string, unknown> | undefined,
): Promise<{ origin: string; pid: number; apiKey: string }> {
  const directory = temporaryDirectory('rialto-bench-hostile-');
  const port = await freePort();
  const configFile = writeRialtoConfig(directory, {
    server: { host: '127.0.0.1', port },
    logLevel: 'silent',
    dataDirectory: join(directory, 'data'),
    discoverModels: false,
    fetch: { allowHosts: ['127.0.0.1'] },
    ...(parsers === undefined ? {} : { parsers }),
    models: [
      {
        id: MODEL,
        engine: {
          kind: 'openai-compatible',
          endpoints: [{ url: 'http://127.0.0.1:9/v1' }],
          model: MODEL,
        },
      },
    ],
  });
  const apiKey = await createInferenceKey(configFile);
  const { child, origin } = await startRialtoServer(name, configFile, port, apiKey, MODEL);
  return { origin, pid: child.process.pid!, apiKey };
}

async function main(): Promise<number> {
  const [bomb, pagesUrl] = await Promise.all([docxBomb(150 * 1024 * 1024), startPages()]);
  const rows: string[][] = [];
  for (const [label, parsers] of [
    ['default caps', undefined],
    ['caps lifted', LIFTED],
  ] as const) {
    const server = await startServer(`Rialto (${label})`, parsers);
    const post = async (path: string, body: FormData | string): Promise<string> => {
      const started = performance.now();
      const response = await fetch(`${server.origin}/api/v1${path}`, {
        method: 'POST',
        body,
        headers: {
          authorization: `Bearer ${server.apiKey}`,
          ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
        },
      });
      const answer = (await response.json()) as {
        error?: string;
        details?: { file?: { _errors: string[] } };
      };
      const seconds = (performance.now() - started) / 1000;
      return `${response.status}|${fixed(seconds, 2)}|${answer.details?.file?._errors[0] ?? answer.error ?? ''}`;
    };
    // Warm: the first job starts a parser process; the baseline is /health with nothing else going on.
    const warm = new FormData();
    warm.append('file', new Blob(['warm']), 'warm.txt');
    await post('/augment/text-parser', warm);
    const idle = await measured(
      server.origin,
      server.pid,
      new Promise((resolve) => setTimeout(resolve, 3000)),
    );
    const baseline = Math.max(idle.sample.healthMaxMs, 0.001);
    rows.push([
      label,
      'no attack (baseline)',
      '',
      '',
      '',
      fixed(idle.sample.healthMaxMs, 1),
      '1.0',
      fixed(idle.sample.serverPeakMb, 0),
      fixed(idle.sample.parsersPeakMb, 0),
    ]);
    const attacks: [string, () => Promise<string>][] = [
      [
        'DOCX 150 MB unpacked',
        () => {
          const form = new FormData();
          form.append('file', new Blob([bomb]), 'bomb.docx');
          return post('/augment/text-parser', form);
        },
      ],
      [
        'page 20,000 <div>s deep',
        () => post('/augment/scrape', JSON.stringify({ url: `${pagesUrl}/deep` })),
      ],
      [
        'page 4.7 MB flat',
        () => post('/augment/scrape', JSON.stringify({ url: `${pagesUrl}/flat` })),
      ],
    ];
    for (const [attack, send] of attacks) {
      const { result, sample } = await measured(server.origin, server.pid, send());
      const [status, seconds, reason] = result.split('|');
      rows.push([
        label,
        attack,
        status!,
        seconds!,
        reason!,
        fixed(sample.healthMaxMs, 1),
        fixed(sample.healthMaxMs / baseline, 1),
        fixed(sample.serverPeakMb, 0),
        fixed(sample.parsersPeakMb, 0),
      ]);
    }
  }
  process.stdout.write(
    `${table(['Rialto', 'attack', 'status', 'answer s', 'reason', '/health max ms', 'x baseline', 'server RSS +MB', 'parsers RSS +MB'], rows, 2)}\n`,
  );
  return 0;
}

await runBench(main);
