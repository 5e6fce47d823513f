import { parseArgs } from 'node:util';
import type { Config } from './config.ts';
import type { KeyService } from './services/key-service.ts';
import type { Store } from './storage/store.ts';

// Every other module is imported by the command that needs it: the server's graph (engines, sharp, tensorflow, …)
// takes seconds to load, and `rialto --help` or `keys create` should not wait for it.

const USAGE = `Usage: rialto <command> [options]

Commands:
  serve                       Start the API server (http://HOST:PORT/api/v1)
  doctor                      Check the config, store, Redis, every model and the programs engines run; exit 1 on a fault
  keys create [--type ADMIN|INFERENCE] [--description TEXT] [--expires-at DATE]
                              Create an API key and print it (shown once)
  keys list                   List active keys (ids, never secrets)
  keys revoke <id>            Revoke a key
  balance add <amount> [--currency USD|DIEM] [--account ID]
                              Credit an account (default: the 'default' account every CLI key uses)
  balance show [--account ID] Show an account's balances
  characters import <file>    Create or update characters (by slug) from a YAML or JSON file
  characters list             List characters (slug, visibility, model, name)
  pull <url | hf:owner/repo/file.gguf> [--sha256 HEX]
                              Download a GGUF into the models folder (resumable)
  pull <url of a .tar.bz2>    Download and unpack a sherpa-onnx model archive into the models folder, print its entry
  pull hf:owner/repo[@rev]    Download every file of a Hugging Face repository (a sherpa-onnx model), print its entry

Options:
  --config PATH               YAML config (default: $RIALTO_CONFIG, else ./rialto.yaml if present)
  --port N, --host H          Override server.port / server.host
`;

async function withStore<T>(config: Config, action: (store: Store) => Promise<T>): Promise<T> {
  const { openStore } = await import('./storage/open-store.ts');
  const store = await openStore(config);
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

async function withKeys<T>(config: Config, action: (keys: KeyService) => Promise<T>): Promise<T> {
  const { KeyService } = await import('./services/key-service.ts');
  return withStore(config, (store) => action(new KeyService(store)));
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      type: { type: 'string' },
      description: { type: 'string' },
      'expires-at': { type: 'string' },
      sha256: { type: 'string' },
      currency: { type: 'string' },
      account: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, subcommand, argument] = positionals;
  if (values.help === true || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && values.help !== true ? 1 : 0;
  }
  const environment = {
    ...process.env,
    ...(values.port === undefined ? {} : { RIALTO_PORT: values.port }),
    ...(values.host === undefined ? {} : { RIALTO_HOST: values.host }),
  };
  const { loadConfig } = await import('./config.ts');
  const config = loadConfig(values.config, environment);

  if (command === 'serve') {
    const { serve } = await import('./cli/serve.ts');
    const server = await serve(config);
    // The first signal stops gracefully (server.shutdownGraceSeconds); a second one exits at once.
    let stopping = false;
    const stop = (): void => {
      if (stopping) process.exit(1);
      stopping = true;
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`rialto: shutdown failed: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return -1;
  }
  if (command === 'doctor') {
    const { doctor } = await import('./cli/doctor.ts');
    return doctor(config, values.config ?? process.env.RIALTO_CONFIG);
  }
  if (command === 'keys' && subcommand === 'create') {
    const apiKeyType = (values.type ?? 'ADMIN').toUpperCase();
    if (apiKeyType !== 'ADMIN' && apiKeyType !== 'INFERENCE')
      throw new Error('--type must be ADMIN or INFERENCE');
    const expiresAt =
      values['expires-at'] === undefined ? null : new Date(values['expires-at']).toISOString();
    const created = await withKeys(config, (keys) =>
      keys.create({
        apiKeyType,
        description: values.description ?? `${apiKeyType.toLowerCase()} key`,
        expiresAt,
      }),
    );
    process.stdout.write(`${created.apiKey}\n`);
    process.stderr.write(
      `Created ${apiKeyType} key ${created.record.id}. Store it now: it is not shown again.\n`,
    );
    return 0;
  }
  if (command === 'keys' && subcommand === 'list') {
    const list = await withKeys(config, (keys) => keys.list());
    for (const key of list)
      process.stdout.write(
        `${key.id}  ${key.apiKeyType.padEnd(9)}  …${key.last6}  ${key.createdAt}  ${key.description}\n`,
      );
    return 0;
  }
  if (command === 'keys' && subcommand === 'revoke' && argument !== undefined) {
    const revoked = await withKeys(config, (keys) => keys.revoke(argument));
    process.stderr.write(revoked ? `Revoked ${argument}.\n` : `No active key ${argument}.\n`);
    return revoked ? 0 : 1;
  }
  if (command === 'balance' && (subcommand === 'add' || subcommand === 'show')) {
    const accountId = values.account ?? 'default';
    const currency = (values.currency ?? 'USD').toUpperCase();
    if (currency !== 'USD' && currency !== 'DIEM')
      throw new Error('--currency must be USD or DIEM');
    const { addBalance, balanceLine, parseBalanceAmount } = await import('./cli/balance.ts');
    // The amount is checked before the store is opened: a refused one creates no account.
    const nanos = subcommand === 'add' ? parseBalanceAmount(argument) : 0;
    const account = await withStore(config, async (store) =>
      subcommand === 'add'
        ? addBalance(store, accountId, currency, nanos)
        : ((await store.accounts.find(accountId)) ??
          (await store.accounts.ensure(accountId, accountId, new Date().toISOString()))),
    );
    process.stdout.write(balanceLine(account));
    return 0;
  }
  if (command === 'characters' && subcommand === 'import' && argument !== undefined) {
    const { importCharacters } = await import('./cli/characters.ts');
    process.stdout.write(await withStore(config, (store) => importCharacters(store, argument)));
    return 0;
  }
  if (command === 'characters' && subcommand === 'list') {
    const { listCharacters } = await import('./cli/characters.ts');
    process.stdout.write(await withStore(config, listCharacters));
    return 0;
  }
  if (command === 'pull' && subcommand !== undefined) {
    const [
      { modelsDirectoryOf, discoveredModelId },
      { pullModel },
      { createProgressReporter },
      { parseModelSource },
    ] = await Promise.all([
      import('./engines/engine-factory.ts'),
      import('./pull/model-puller.ts'),
      import('./pull/progress-bar.ts'),
      import('./pull/model-source.ts'),
    ]);
    const sherpa = await import('./pull/sherpa-onnx-pull.ts');
    const { parseHuggingFaceRepository, pullHuggingFaceRepository } = await import(
      './pull/hugging-face-repository.ts'
    );
    const repository = parseHuggingFaceRepository(subcommand);
    let reporter = createProgressReporter(
      repository?.repository ?? parseModelSource(subcommand).fileName,
    );
    let pulled: { folder: string; done: boolean; files: number; bytes: number } | undefined;
    if (repository !== undefined) {
      const result = await pullHuggingFaceRepository({
        repository,
        modelsDirectory: modelsDirectoryOf(config),
        onFile: (file, index, count) => {
          reporter.finish();
          reporter = createProgressReporter(`[${index + 1}/${count}] ${file.path}`);
        },
        onProgress: (progress) => reporter.update(progress),
      });
      pulled = { ...result, done: result.downloaded };
    } else if (sherpa.isTarBz2Source(subcommand)) {
      const result = await sherpa.pullSherpaOnnxArchive({
        source: subcommand,
        modelsDirectory: modelsDirectoryOf(config),
        ...(values.sha256 === undefined ? {} : { sha256: values.sha256 }),
        onProgress: (progress) => reporter.update(progress),
      });
      pulled = { ...result, done: result.unpacked };
    }
    if (pulled !== undefined) {
      reporter.finish();
      process.stderr.write(
        pulled.done
          ? `Saved ${pulled.files} files (${pulled.bytes} bytes) in ${pulled.folder}.\n`
          : `${pulled.folder} is already there (remove it to pull again).\n`,
      );
      const { entry } = sherpa.sherpaOnnxFolderEntry(pulled.folder, modelsDirectoryOf(config));
      if (entry === undefined) {
        process.stderr.write(
          `It matches no sherpa-onnx family's default files: write its entry with engine.files (docs/speech.md).\n`,
        );
        return 1;
      }
      process.stderr.write('Add this model to rialto.yaml (then restart rialto serve):\n');
      process.stdout.write(entry);
      return 0;
    }
    const result = await pullModel({
      source: subcommand,
      modelsDirectory: modelsDirectoryOf(config),
      ...(values.sha256 === undefined ? {} : { sha256: values.sha256 }),
      onProgress: (progress) => reporter.update(progress),
    });
    reporter.finish();
    const note = sherpa.sherpaOnnxFileNote(result.path);
    if (note !== undefined) {
      process.stderr.write(
        `Saved ${result.path} (${result.bytes} bytes, sha256 ${result.sha256}). ${note}`,
      );
      return 0;
    }
    process.stderr.write(
      `Saved ${result.path} (${result.bytes} bytes, sha256 ${result.sha256}). A running 'rialto serve' serves it within seconds, without a restart (as model ${discoveredModelId(result.path.split(/[\\/]/).pop() ?? '')}); else 'rialto serve' will.\n`,
    );
    return 0;
  }
  process.stderr.write(USAGE);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  async (error: unknown) => {
    const { ConfigError } = await import('./config.ts');
    process.stderr.write(
      error instanceof ConfigError ? `${error.message}\n` : `rialto: ${(error as Error).message}\n`,
    );
    process.exitCode = error instanceof ConfigError ? 2 : 1;
    // A failed start has closed what it opened; should a library still hold a handle, the exit does not wait for it.
    setTimeout(() => process.exit(), 3000).unref();
  },
);
