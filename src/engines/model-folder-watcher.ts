import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { ModelRegistry } from '../services/model-registry.ts';
import {
  discoveredModel,
  ggufProblem,
  modelsDirectoryOf,
  type EngineSet,
} from './engine-factory.ts';

export interface ModelFolderWatcherOptions {
  /** Quiet time after the last change in the folder before it is read again (default 500 ms). */
  debounceMs?: number;
  /** A file is loaded once its size and mtime held this long (a copy still being written is not; default 1 s). */
  settleMs?: number;
  /** Called after the models served changed (a model added or removed). */
  onChange?: () => void;
}

/**
 * Serves a GGUF that appears in the models folder, and withdraws one that leaves it, while Rialto runs
 * (config.discoverModels): fs.watch on the folder, debounced; a file is loaded once complete (its size stable). A
 * file that is not a GGUF, or does not load, is skipped with a warning naming it, and tried again only once changed.
 */
export class ModelFolderWatcher {
  private readonly directory: string;
  /** File name → model id, for the GGUFs found in the folder and served. */
  private readonly served = new Map<string, string>();
  /** File name → size:mtime of a file skipped, so it is reported once, and retried once it changes. */
  private readonly skipped = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly config: Config,
    private readonly registry: ModelRegistry,
    private readonly engines: EngineSet,
    private readonly logger: Logger,
    private readonly options: ModelFolderWatcherOptions = {},
  ) {
    this.directory = modelsDirectoryOf(config);
    const configuredIds = new Set(config.models.map((model) => model.id));
    for (const entry of registry.entries) {
      const engine = entry.config.engine;
      if (
        !configuredIds.has(entry.config.id) &&
        engine.kind === 'llama-cpp' &&
        !isAbsolute(engine.path)
      )
        this.served.set(engine.path, entry.config.id);
    }
  }

  /** Watches the folder (made when missing); files already there that were skipped at start are not reported again. */
  async start(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    for (const file of await this.candidates()) {
      if (this.served.has(file)) continue;
      const signature = await this.signatureOf(file);
      if (signature !== undefined) this.skipped.set(file, signature);
    }
    this.watcher = watch(this.directory, { persistent: false }, () => this.schedule());
    this.watcher.on('error', (error) =>
      this.logger.warn(
        { err: error, directory: this.directory },
        'the models folder is no longer watched',
      ),
    );
  }

  /** Reads the folder again after debounceMs of quiet. */
  schedule(delayMs = this.options.debounceMs ?? 500): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.scanning = this.scanning.then(() => this.scan());
    }, delayMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounce);
    this.watcher?.close();
    await this.scanning;
  }

  /** *.gguf files in the folder that no configured model names. */
  private async candidates(): Promise<string[]> {
    const configured = new Set(
      this.config.models.flatMap((model) =>
        model.engine.kind === 'llama-cpp' ? [basename(model.engine.path)] : [],
      ),
    );
    const files = await readdir(this.directory).catch(() => [] as string[]);
    return files.filter((file) => file.endsWith('.gguf') && !configured.has(file)).sort();
  }

  private async signatureOf(file: string): Promise<string | undefined> {
    const stats = await stat(join(this.directory, file)).catch(() => undefined);
    return stats?.isFile() === true ? `${stats.size}:${stats.mtimeMs}` : undefined;
  }

  private async scan(): Promise<void> {
    if (this.closed) return;
    const files = await this.candidates();
    let changed = false;
    for (const [file, id] of [...this.served]) {
      if (files.includes(file)) continue;
      this.served.delete(file);
      const entry = this.registry.remove(id);
      if (entry !== undefined)
        await this.engines
          .closeOne(entry.engine)
          .catch((error: unknown) =>
            this.logger.warn({ err: error, model: id }, 'closing a removed model failed'),
          );
      this.logger.info(
        { model: id, file: join(this.directory, file) },
        `Model ${id} is no longer served: its file left the models folder`,
      );
      changed = true;
    }
    for (const file of this.skipped.keys()) if (!files.includes(file)) this.skipped.delete(file);
    for (const file of files) {
      if (this.closed) return;
      if (this.served.has(file)) continue;
      const path = join(this.directory, file);
      const before = await this.signatureOf(file);
      if (before === undefined || this.skipped.get(file) === before) continue;
      // Complete only once it stops changing: a download renames its .partial file, but a copy grows in place.
      await new Promise((resolve) => setTimeout(resolve, this.options.settleMs ?? 1000));
      const after = await this.signatureOf(file);
      if (after !== before) {
        this.schedule(0);
        continue;
      }
      const problem = ggufProblem(path);
      if (problem !== undefined) {
        this.skipped.set(file, after);
        this.logger.warn({ file: path }, `Skipped ${path}: ${problem}`);
        continue;
      }
      const taken = new Set(this.registry.entries.map((entry) => entry.config.id));
      const model = discoveredModel(file, taken);
      const entry = await this.engines.create(model).catch((error: unknown) => {
        this.logger.warn({ file: path }, `Skipped ${path}: ${(error as Error).message}`);
        return undefined;
      });
      if (entry === undefined || this.closed) {
        this.skipped.set(file, after);
        if (entry !== undefined) await this.engines.closeOne(entry.engine);
        continue;
      }
      this.registry.add(entry);
      this.served.set(file, model.id);
      this.logger.info(
        { model: model.id, file: path },
        `Model ${model.id} is served now (found ${file} in the models folder)`,
      );
      changed = true;
    }
    if (changed) this.options.onChange?.();
  }
}
