import type { ModelType } from '../schemas/models.ts';
import type {
  CreatedEngine,
  EngineKind,
  EngineKindConfig,
  EngineKindContext,
  EngineProvider,
  ModelOf,
} from './engine-kind.ts';

/** A model's engine, checked and ready to start. */
export interface EnginePlan {
  /** The file the engine will load, when the kind names one (for errors that do not say which). */
  readonly file?: string;
  /** Starts the engine; throws an Error that says why not (a missing file, package or command). */
  start(): Promise<CreatedEngine>;
}

/** The registry as one engine set uses it: each kind opened once, on the set's first model of it. */
export interface EngineFactory {
  /** Checks the model against its kind (fatal, even for an optional model); throws an Error naming the model. */
  plan(model: ModelOf<EngineKindConfig>): EnginePlan;
  /** Frees what each opened kind shares; after the set's engines are closed. */
  close(): Promise<void>;
}

interface OpenedKind {
  plan(model: ModelOf<EngineKindConfig>): EnginePlan;
  close(): Promise<void>;
}

interface RegisteredKind {
  readonly modelTypes: readonly ModelType[];
  open(context: EngineKindContext): OpenedKind;
}

/** Keeps the kind's own config type inside one closure, so the registry holds kinds of any config. */
function registered<Config extends EngineKindConfig>(kind: EngineKind<Config>): RegisteredKind {
  return {
    modelTypes: kind.modelTypes,
    open(context) {
      let provider: EngineProvider<Config> | undefined;
      return {
        plan(model) {
          const config = kind.configSchema.parse(model.engine);
          const typed: ModelOf<Config> = { ...model, engine: config };
          kind.check?.(typed);
          const file = kind.fileOf?.(config, context.modelsDirectory);
          const start = (): Promise<CreatedEngine> =>
            (provider ??= kind.open(context)).create(typed);
          return file === undefined ? { start } : { file, start };
        },
        close: async () => {
          await provider?.close?.();
        },
      };
    },
  };
}

/**
 * Engine kinds by name: what engine a model's `engine.kind` gets, and the model types it serves. A new kind is a
 * new `EngineKind` registered here (engines/engine-kinds.ts lists the built-in ones), never a new branch.
 */
export class EngineRegistry {
  private readonly kinds = new Map<string, RegisteredKind>();

  /** Adds a kind; a name registered twice is a programming error. */
  register<Config extends EngineKindConfig>(kind: EngineKind<Config>): this {
    if (this.kinds.has(kind.kind)) throw new Error(`engine kind ${kind.kind} is registered twice`);
    this.kinds.set(kind.kind, registered(kind));
    return this;
  }

  /** The model types a kind serves; undefined for a kind not registered. */
  modelTypesOf(kind: string): readonly ModelType[] | undefined {
    return this.kinds.get(kind)?.modelTypes;
  }

  /** A factory for one engine set: kinds open lazily, and close together once its engines are closed. */
  open(context: EngineKindContext): EngineFactory {
    const opened = new Map<string, OpenedKind>();
    return {
      plan: (model) => {
        const { kind } = model.engine;
        const found = this.kinds.get(kind);
        if (found === undefined)
          throw new Error(`model ${model.id}: no engine kind ${kind} is registered`);
        if (!found.modelTypes.includes(model.type))
          throw new Error(`model ${model.id}: a ${model.type} model cannot use the ${kind} engine`);
        let instance = opened.get(kind);
        if (instance === undefined) {
          instance = found.open(context);
          opened.set(kind, instance);
        }
        return instance.plan(model);
      },
      close: async () => {
        await Promise.all([...opened.values()].map((instance) => instance.close()));
      },
    };
  }
}
