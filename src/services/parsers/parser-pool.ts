import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ParserConfig } from '../../config/parser-config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { loaderArguments, siblingModule } from '../../runtime/sibling-module.ts';
import { pageRefused } from '../augment/page-errors.ts';
import { fileRefused } from '../documents/document-errors.ts';
import type { DocumentFile } from '../documents/document-format.ts';
import type { ParserJob, ParserReply, ParserProcessLimits } from './parser-messages.ts';

/** The process runs what the server runs: the TypeScript sources through tsx's loader, or the compiled dist/. */
const ENTRY = fileURLToPath(siblingModule(import.meta.url, './parser-process'));

/** An idle process is ended after this long: a parse can leave hundreds of MB of heap behind. */
const IDLE_MS = 30_000;

/** How a job's input is named in its refusals: "The file took longer…", "The page needs more…". */
interface Subject {
  noun: 'file' | 'page';
  verb: 'parse' | 'read';
  refuse: (reason: string, cause?: unknown) => VeniceError;
}

const DOCUMENT: Subject = { noun: 'file', verb: 'parse', refuse: fileRefused };
const PAGE: Subject = { noun: 'page', verb: 'read', refuse: pageRefused };

interface Task {
  job: ParserJob;
  subject: Subject;
  signal: AbortSignal;
  resolve: (text: string) => void;
  reject: (error: unknown) => void;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  /** The job it runs, with its id and time limit. */
  running?: { id: number; task: Task; timer?: NodeJS.Timeout } | undefined;
  idle?: NodeJS.Timeout | undefined;
}

/**
 * A bounded pool of processes for the parsers of untrusted bytes (documents: pdfjs, mammoth, exceljs, jszip; pages:
 * jsdom, Readability, Turndown), which run synchronously for long stretches and would stall every other request on
 * the event loop. `workers` jobs run at once, `queueLength` more wait; past that a job is refused at once (429
 * MODEL_OVERLOADED). A job past `timeoutMs` is stopped by killing its process, one past the `memoryMb` heap by V8
 * aborting it; either is answered with a 400 naming the limit, and the next job gets a fresh process. Processes,
 * not worker workers: a worker's heap limit is best-effort, and one large allocation past it aborts the whole server
 * (nodejs/node#47224). Processes start on first use and end when idle. Concurrency-safe; close() ends them all.
 */
export class ParserPool {
  private readonly workers: (Worker | undefined)[];
  private readonly queue: Task[] = [];
  private readonly limits: ParserProcessLimits;
  private nextId = 1;
  private closed = false;

  constructor(private readonly config: ParserConfig) {
    this.workers = Array.from({ length: config.workers }, () => undefined);
    this.limits = { archive: config.archive, html: config.html };
  }

  /** A document's text (documents/document-text.ts) on a parser worker; its refusals are the extractor's. */
  extractText(file: DocumentFile, signal: AbortSignal): Promise<string> {
    const job: ParserJob = {
      kind: 'document',
      bytes: new Uint8Array(file.bytes),
      ...(file.filename === undefined ? {} : { filename: file.filename }),
      ...(file.contentType === undefined ? {} : { contentType: file.contentType }),
    };
    return this.run(job, DOCUMENT, signal);
  }

  /** A page's main content as Markdown (augment/html-to-markdown.ts) on a parser worker. */
  htmlToMarkdown(html: string, url: string, signal: AbortSignal): Promise<string> {
    return this.run({ kind: 'page', html, url }, PAGE, signal);
  }

  /** Jobs running and waiting. */
  get load(): { running: number; queued: number } {
    return {
      running: this.workers.filter((worker) => worker?.running !== undefined).length,
      queued: this.queue.length,
    };
  }

  private async run(job: ParserJob, subject: Subject, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    if (this.closed) throw new VeniceError('SHUTTING_DOWN');
    const free = this.workers.some((worker) => worker?.running === undefined);
    if (!free && this.queue.length >= this.config.queueLength) {
      throw new VeniceError('MODEL_OVERLOADED', {
        message: `The ${subject.noun} parser is busy. Please try again later.`,
        headers: { 'retry-after': '1' },
      });
    }
    return new Promise<string>((resolve, reject) => {
      const task: Task = { job, subject, signal, resolve, reject };
      const onAbort = (): void => this.abort(task);
      signal.addEventListener('abort', onAbort, { once: true });
      task.resolve = (text) => {
        signal.removeEventListener('abort', onAbort);
        resolve(text);
      };
      task.reject = (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      this.queue.push(task);
      this.pump();
    });
  }

  /** Starts queued jobs on free workers. */
  private pump(): void {
    for (let index = 0; index < this.workers.length && this.queue.length > 0; index += 1) {
      const worker = this.workers[index];
      if (worker?.running !== undefined) continue;
      void this.start(index, worker ?? this.spawn(index), this.queue.shift()!);
    }
  }

  private async start(index: number, worker: Worker, task: Task): Promise<void> {
    const id = this.nextId++;
    clearTimeout(worker.idle);
    worker.child.ref();
    worker.child.channel?.ref();
    // Marked busy before the worker is ready, so that pump() gives it no second job.
    worker.running = { id, task };
    try {
      await worker.ready;
    } catch (error) {
      this.end(
        index,
        worker,
        new Error(
          `the parser worker did not start: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        ),
      );
      return;
    }
    if (worker.running?.id !== id) return; // aborted or closed while the worker started
    const { noun, verb } = task.subject;
    worker.running.timer = setTimeout(
      () =>
        this.end(
          index,
          worker,
          task.subject.refuse(
            `The ${noun} took longer than ${this.config.timeoutMs / 1000} s to ${verb}.`,
          ),
        ),
      this.config.timeoutMs,
    );
    worker.child.send({ id, job: task.job });
  }

  private spawn(index: number): Worker {
    const child = fork(ENTRY, [JSON.stringify(this.limits)], {
      execArgv: [
        ...loaderArguments(import.meta.url),
        `--max-old-space-size=${this.config.memoryMb}`,
      ],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    let started: () => void = () => undefined;
    let failed: (error: Error) => void = () => undefined;
    const worker: Worker = {
      child,
      ready: new Promise<void>((resolve, reject) => {
        started = resolve;
        failed = reject;
      }),
    };
    worker.ready.catch(() => undefined);
    this.workers[index] = worker;
    child.on('message', (reply: ParserReply) => {
      if (reply.type === 'ready') return started();
      const running = worker.running;
      if (running?.id !== reply.id) return;
      this.finish(index, worker);
      const { task } = running;
      if (reply.type === 'done') task.resolve(reply.text);
      else if (reply.type === 'refused')
        task.reject(new VeniceError(reply.code, { message: reply.message, extra: reply.extra }));
      else
        task.reject(
          task.subject.refuse(
            `The ${task.subject.noun} could not be ${task.subject.verb === 'parse' ? 'parsed' : 'read'}.`,
            new Error(reply.message),
          ),
        );
    });
    child.on('error', (error) => {
      failed(error);
      this.end(index, worker, error);
    });
    child.on('exit', (code, signal) => {
      const exited = new Error(`the parser process exited (${signal ?? `code ${code}`})`);
      failed(exited);
      const { noun, verb, refuse } = worker.running?.task.subject ?? DOCUMENT;
      // V8 aborts a process past its heap; a job that ends its process any other way failed on its input too. A
      // process that dies before its job was sent (while it loads) is the server's failure, not the input's.
      const reason =
        signal === 'SIGABRT' || code === 134
          ? `The ${noun} needs more than ${this.config.memoryMb} MB of memory to ${verb}.`
          : `The ${noun} could not be ${verb === 'parse' ? 'parsed' : 'read'}.`;
      this.end(
        index,
        worker,
        worker.running?.timer === undefined ? exited : refuse(reason, exited),
      );
    });
    return worker;
  }

  /** The worker's job is answered: it waits for the next, and ends when idle too long. */
  private finish(index: number, worker: Worker): void {
    clearTimeout(worker.running?.timer);
    worker.running = undefined;
    worker.child.unref();
    worker.child.channel?.unref();
    worker.idle = setTimeout(() => this.end(index, worker, new Error('idle')), IDLE_MS);
    worker.idle.unref();
    this.pump();
  }

  /** Ends a worker (its job, if any, fails with `error`); the next job gets a fresh one. */
  private end(index: number, worker: Worker, error: unknown): void {
    const running = worker.running;
    clearTimeout(running?.timer);
    clearTimeout(worker.idle);
    worker.running = undefined;
    if (this.workers[index] === worker) this.workers[index] = undefined;
    worker.child.kill('SIGKILL');
    running?.task.reject(error);
    if (!this.closed) this.pump();
  }

  /** The client left: a waiting job leaves the queue; a running one is stopped with its worker. */
  private abort(task: Task): void {
    const queued = this.queue.indexOf(task);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      task.reject(task.signal.reason);
      return;
    }
    const index = this.workers.findIndex((worker) => worker?.running?.task === task);
    if (index !== -1) this.end(index, this.workers[index]!, task.signal.reason);
  }

  /** Ends every worker; waiting and running jobs fail with SHUTTING_DOWN. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new VeniceError('SHUTTING_DOWN'));
    await Promise.all(
      this.workers.map(async (worker, index) => {
        if (worker === undefined) return;
        const { child } = worker;
        child.ref(); // so that the event loop waits for its exit
        const exited =
          child.exitCode !== null || child.signalCode !== null
            ? Promise.resolve()
            : new Promise((resolve) => child.once('exit', resolve));
        this.end(index, worker, new VeniceError('SHUTTING_DOWN'));
        await exited;
      }),
    );
  }
}
