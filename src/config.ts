import { readFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve, dirname, isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import './errors/validation.ts';
import {
  audioFormat,
  automatic1111Engine,
  espeakNgEngine,
  esrganEngine,
  llamaCppEngine,
  llamaServerEngine,
  onnxBackgroundRemovalEngine,
  openAiCompatibleEngine,
  pocketsphinxEngine,
  sherpaOnnxEngine,
  chatterboxEngine,
  veniceEngine,
} from './config/engine-config.ts';
import { comfyUiEngine } from './config/comfyui-engine-config.ts';
import { imageConstraints, musicSpec, videoConstraints } from './config/media-config.ts';
import { cryptoRpcConfig } from './config/crypto-rpc-config.ts';
import { mediaLimitsConfig } from './config/media-limits-config.ts';
import { parserConfig } from './config/parser-config.ts';
import { walletsConfig } from './config/wallets-config.ts';

/** fetch.perRequest: 16 URLs and 50 MB a request (two files at the documented 25 MB each), 4 at once. */
const DOWNLOAD_DEFAULTS = { maxUrls: 16, maxBytes: 50 * 1024 * 1024, concurrency: 4 };

const price = z.strictObject({ usd: z.number().min(0), diem: z.number().min(0) });
const FREE_PRICE = { usd: 0, diem: 0 };

// swagger: ModelResponse.model_spec.pricing ("LLM Model Pricing"), prices per 1M tokens.
const textPricing = z.strictObject({
  input: price,
  output: price,
  cache_input: price.optional(),
  cache_write: price.optional(),
  extended: z
    .strictObject({
      context_token_threshold: z.number().int().positive(),
      input: price,
      output: price,
    })
    .optional(),
  /** asr: per second of input audio (swagger: ASR Model Pricing). tts prices `input` per 1M characters. */
  per_audio_second: price.optional(),
  // swagger: Image Model Pricing (image, upscale) and Inpaint Model Pricing; per image or per edit.
  /** image: per generated image, when the model has no `resolutions`. */
  generation: price.optional(),
  /** image, inpaint: per image by resolution tier ("1K", "2K", "4K"); replaces `generation` / `inpaint`. */
  resolutions: z.record(z.string(), price).optional(),
  /** image, inpaint: per (resolution, quality). */
  quality: z
    .record(z.string(), z.strictObject({ low: price, medium: price, high: price }))
    .optional(),
  /** image, upscale: per upscale by factor. */
  upscale: z.strictObject({ '2x': price, '4x': price }).optional(),
  /** music: per second of generated audio; video: per second of generated video (replaced by `resolutions` per second where set). */
  per_second: price.optional(),
  /** music: by duration tier. */
  durations: z
    .record(
      z.string(),
      price.extend({ min_seconds: z.number().min(0), max_seconds: z.number().min(0) }),
    )
    .optional(),
  /** music: per thousand characters of prompt and lyrics. */
  per_thousand_characters: price.optional(),
  /** inpaint: per edit. */
  inpaint: price.optional(),
  /** inpaint: `included` input images are in the base price; each further one adds `additional`. */
  inputImages: z.strictObject({ included: z.number().int().min(0), additional: price }).optional(),
});

const reasoningEffort = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

// swagger: ModelResponse.model_spec.capabilities; every flag defaults to what a plain local model can do.
const capabilities = z.strictObject({
  optimizedForCode: z.boolean().default(false),
  quantization: z
    .enum(['fp4', 'fp8', 'fp16', 'bf16', 'int8', 'int4', 'not-available'])
    .default('not-available'),
  supportsFunctionCalling: z.boolean().default(true),
  supportsAudioInput: z.boolean().default(false),
  supportsReasoning: z.boolean().default(false),
  supportsReasoningEffort: z.boolean().default(false),
  reasoningEffortOptions: z.array(reasoningEffort).optional(),
  defaultReasoningEffort: reasoningEffort.optional(),
  supportsResponseSchema: z.boolean().default(true),
  supportsMultipleImages: z.boolean().default(false),
  maxImages: z.number().int().positive().optional(),
  supportsVision: z.boolean().default(false),
  supportsVideoInput: z.boolean().default(false),
  supportsWebSearch: z.boolean().default(false),
  supportsLogProbs: z.boolean().default(false),
  supportsTeeAttestation: z.boolean().default(false),
  supportsE2EE: z.boolean().default(false),
  supportsXSearch: z.boolean().default(false),
});

const deprecation = z.strictObject({
  date: z.string(),
  removesAt: z.string(),
  autoRemap: z.boolean().default(false),
  replacementModelId: z.string().optional(),
  startsAt: z.string().optional(),
  warning: z.string().optional(),
});

export const modelConfigSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._/-]+$/, 'model ids use only letters, digits and . _ / -'),
  name: z.string().optional(),
  description: z.string().optional(),
  type: z
    .enum(['text', 'embedding', 'tts', 'asr', 'image', 'upscale', 'inpaint', 'video', 'music'])
    .default('text'),
  /**
   * openai-compatible serves every type but upscale (chat and embeddings, /audio/speech, /audio/transcriptions,
   * /images/generations and /images/edits of its endpoints); the others serve one type each.
   */
  engine: z.discriminatedUnion('kind', [
    llamaCppEngine,
    llamaServerEngine,
    openAiCompatibleEngine,
    espeakNgEngine,
    pocketsphinxEngine,
    automatic1111Engine,
    esrganEngine,
    onnxBackgroundRemovalEngine,
    veniceEngine,
    sherpaOnnxEngine,
    comfyUiEngine,
    chatterboxEngine,
  ]),
  /** When its engine cannot start (a missing package or file), serve without this model and warn, instead of failing the start. */
  optional: z.boolean().default(false),
  /** tts: the format answered when a request names none (model_spec.default_format). */
  defaultFormat: audioFormat.default('mp3'),
  /** tts: the voice answered when a request names none. */
  defaultVoice: z.string().optional(),
  /** tts on an upstream: the voices it offers (model_spec.voices); the first is the default. */
  voices: z.array(z.string()).optional(),
  /** tts on an upstream: the formats it can produce (model_spec.supported_formats). */
  supportedFormats: z.array(audioFormat).optional(),
  /** image and inpaint models: model_spec.constraints, and the limits requests are checked against. */
  imageConstraints: imageConstraints.default(imageConstraints.parse({})),
  /** video: model_spec.constraints. */
  videoConstraints: videoConstraints.default(videoConstraints.parse({})),
  /**
   * video: how a finished video reaches the client. `inline`: the /video/retrieve body. `download_url`: as
   * Venice's private models, /video/queue answers a pre-signed link (GET without a key, DELETE revokes it,
   * valid 24 h after the video is done) and retrieve answers JSON COMPLETED.
   */
  videoDelivery: z.enum(['inline', 'download_url']).default('inline'),
  /**
   * video: an upscale model (video-upscaling.mdx): /video/queue takes `video_url` and `upscale_factor`, refuses
   * `prompt` and `resolution`, and needs no `duration` (the input video's; quoted as the longest listed).
   */
  videoUpscale: z.boolean().default(false),
  /** music: model_spec's music fields. */
  music: musicSpec.default(musicSpec.parse({})),
  /** Whether the model applies no content filter (model_spec.uncensored). */
  uncensored: z.boolean().optional(),
  contextLength: z.number().int().positive().optional(),
  maxCompletionTokens: z.number().int().positive().optional(),
  capabilities: capabilities.default(capabilities.parse({})),
  constraints: z
    .strictObject({
      temperature: z.number().min(0).max(2).default(0.7),
      top_p: z.number().min(0).max(1).default(0.9),
    })
    .default({ temperature: 0.7, top_p: 0.9 }),
  traits: z.array(z.string()).default([]),
  aliases: z.array(z.string()).default([]),
  pricing: textPricing.default({ input: { usd: 0, diem: 0 }, output: { usd: 0, diem: 0 } }),
  privacy: z.enum(['private', 'anonymized']).default('private'),
  deprecation: deprecation.optional(),
  rateLimitTier: z.enum(['XS', 'S', 'M', 'L']).default('S'),
  /** Embedding models: output size, and whether `dimensions` may shorten it. */
  embeddingDimensions: z.number().int().positive().optional(),
  supportsCustomDimensions: z.boolean().default(false),
  created: z.number().int().optional(),
});

export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful, private assistant served by Rialto. Answer accurately and concisely.';

const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      /** Largest accepted request body in bytes (413 above it). */
      bodyLimit: z
        .number()
        .int()
        .positive()
        .default(40 * 1024 * 1024),
      corsOrigins: z.union([z.literal('*'), z.array(z.string())]).default('*'),
      hostName: z.string().default(hostname()),
      /** The origin clients reach Rialto at (e.g. https://rialto.example.org), for links it hands out; default: the request's. */
      publicUrl: z.url().optional(),
      /**
       * On SIGTERM / SIGINT, how long open requests and streams may run on while no new ones are taken; those
       * still open then are ended (an error event on streams) and settled for what was delivered.
       */
      shutdownGraceSeconds: z.number().min(0).default(30),
      /**
       * Slow clients (slowloris): a connection whose request headers have not all arrived after `headersTimeoutMs`,
       * or whose whole request (headers and body) has not after `requestTimeoutMs`, is answered 408 and closed. Only
       * receiving the request is timed: a long response (a stream) is not cut. 0 turns a limit off.
       */
      headersTimeoutMs: z.number().int().min(0).default(60_000),
      requestTimeoutMs: z.number().int().min(0).default(300_000),
    })
    .refine(
      (server) =>
        server.requestTimeoutMs === 0 ||
        server.headersTimeoutMs === 0 ||
        server.headersTimeoutMs <= server.requestTimeoutMs,
      {
        message: 'headersTimeoutMs cannot exceed requestTimeoutMs',
        path: ['headersTimeoutMs'],
      },
    )
    .default({
      host: '127.0.0.1',
      port: 8787,
      bodyLimit: 40 * 1024 * 1024,
      corsOrigins: '*',
      hostName: hostname(),
      shutdownGraceSeconds: 30,
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 300_000,
    }),
  /** Holds the SQLite database and the models folder. */
  dataDirectory: z.string().default('./data'),
  database: z.strictObject({ url: z.string().optional() }).default({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How `rialto serve` writes its log: readable lines in a terminal and JSON otherwise (auto), or always one; RIALTO_LOG_FORMAT wins. */
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** `includeContent`: also log request bodies (prompts) at debug level; off, no log line carries a prompt or an output. */
  logging: z
    .strictObject({ includeContent: z.boolean().default(false) })
    .default({ includeContent: false }),
  /** GET /metrics in Prometheus' text format; `requireKey`: only with an ADMIN key. */
  metrics: z
    .strictObject({ enabled: z.boolean().default(true), requireKey: z.boolean().default(false) })
    .default({ enabled: true, requireKey: false }),
  /**
   * GET /ready: a probe of the store, the limiter and every engine is reused for `cacheMs`, so a flood of calls
   * reaches each upstream at most once in that time. Details (URLs, processes, paths) only with an ADMIN key.
   */
  readiness: z
    .strictObject({ cacheMs: z.number().int().min(0).default(2000) })
    .default({ cacheMs: 2000 }),
  /**
   * OpenTelemetry spans of each request (auth, rate limit, reservation, engine, settlement). `none` creates no
   * span at all; `otlp` sends them to `endpoint` (OTLP/HTTP JSON, default http://localhost:4318/v1/traces);
   * `console` prints them. `sampleRatio`: the share of traces kept.
   */
  tracing: z
    .strictObject({
      exporter: z.enum(['none', 'otlp', 'console']).default('none'),
      endpoint: z.url().optional(),
      sampleRatio: z.number().min(0).max(1).default(1),
    })
    .default({ exporter: 'none', sampleRatio: 1 }),
  /** The operator's system prompt, prepended when include_venice_system_prompt is true (its default). */
  systemPrompt: z.string().default(DEFAULT_SYSTEM_PROMPT),
  billing: z
    .strictObject({
      /**
       * A reservation's lease: the serving process renews it while the request runs; when a process dies
       * (SIGKILL, power loss) its reservations are released without charge once their lease ends.
       */
      leaseSeconds: z.number().int().min(1).default(60),
      /**
       * How the ledger's commits (reservations, settlements, releases) reach the disk (storage/ledger-commits.ts):
       * `deferred` answers once a commit is written and flushes it within a fraction of a second, off the request's
       * path (an OS crash, a power loss or a PostgreSQL crash can lose that window's charges: the client's favour);
       * `durable` waits for the disk at every commit. Credits, wallets and keys are durable either way.
       */
      ledgerCommits: z.enum(['deferred', 'durable']).default('deferred'),
      /**
       * Budget leases (docs/architecture.md, "The ledger"): this instance holds a slice of each busy account's balance
       * and key limit, reserves and settles requests against it in memory, and writes their charges in one
       * transaction per lease every flushMs. A crash loses the charges of at most one flush window, never charged
       * (the client's favour); the lease is released when its reservation lease (leaseSeconds) ends.
       */
      budgetLeases: z
        .strictObject({
          enabled: z.boolean().default(false),
          /** A lease is this many worst cases of the request that asks for it. */
          worstCases: z.number().int().min(2).max(100_000).default(64),
          /** Fewer worst cases than this left in the balance or the key's limit: requests reserve one by one. */
          minimumWorstCases: z.number().int().min(1).max(100_000).default(4),
          /** How long a settlement waits in memory at most before it is written (ms). */
          flushMs: z.number().int().min(1).max(10_000).default(10),
          /** A lease unused this long is written and closed, its rest back in the balance. */
          idleSeconds: z.number().min(0.05).max(3_600).default(5),
        })
        .default({
          enabled: false,
          worstCases: 64,
          minimumWorstCases: 4,
          flushMs: 10,
          idleSeconds: 5,
        }),
    })
    .default({
      leaseSeconds: 60,
      ledgerCommits: 'deferred',
      budgetLeases: {
        enabled: false,
        worstCases: 64,
        minimumWorstCases: 4,
        flushMs: 10,
        idleSeconds: 5,
      },
    }),
  /**
   * How long a process trusts a key record it read (ms). Where replicas share Redis (rateLimits.store redis), a key
   * revoked or changed through one reaches the others at once over the key-change channel; without it, while Redis
   * is down, and after `rialto keys revoke` (which publishes nothing), within this.
   */
  keyCacheMs: z.number().int().min(0).max(600_000).default(500),
  /** Per key and model, requests and tokens per minute (docs/api-reference/rate-limiting.mdx). */
  rateLimits: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** memory: one instance; redis: shared by every replica (set redisUrl or $REDIS_URL). */
      store: z.enum(['memory', 'redis']).default('memory'),
      redisUrl: z.string().optional(),
      /** Namespace of the limiter's Redis keys (replicas of one deployment share it). */
      redisPrefix: z.string().default('rialto:rate-limit'),
      /** Per class (XS, S, M, L, embedding, image, audio): { requestsPerMinute, tokensPerMinute }. */
      overrides: z
        .partialRecord(
          z.enum(['XS', 'S', 'M', 'L', 'embedding', 'image', 'audio']),
          z.strictObject({
            requestsPerMinute: z.number().int().positive().optional(),
            tokensPerMinute: z.number().int().positive().optional(),
          }),
        )
        .default({}),
      /**
       * When the limiter's store (Redis) cannot be reached: `fail-open` serves the request without rate limits
       * (balances and spend limits still hold: they live in the database) and logs the outage once a minute;
       * `fail-closed` refuses it with 503 RATE_LIMITER_UNAVAILABLE. See the README, Reliability.
       */
      onStoreError: z.enum(['fail-open', 'fail-closed']).default('fail-open'),
    })
    .default({
      enabled: true,
      store: 'memory',
      redisPrefix: 'rialto:rate-limit',
      overrides: {},
      onStoreError: 'fail-open',
    }),
  /**
   * URLs that clients give (image_url, image inputs) are fetched with these limits. Private, loopback and
   * link-local addresses are refused unless listed in `allowHosts` (host names or IPs, e.g. 127.0.0.1).
   */
  fetch: z
    .strictObject({
      allowHosts: z.array(z.string()).default([]),
      allowPrivateAddresses: z.boolean().default(false),
      timeoutMs: z.number().int().positive().default(15_000),
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(25 * 1024 * 1024),
      maxRedirects: z.number().int().min(0).default(3),
      /** One request's downloads together (chat file parts, image_url and video_url): URLs, bytes, at once (services/media/request-downloads.ts). */
      perRequest: z
        .strictObject({
          maxUrls: z.number().int().min(1).default(DOWNLOAD_DEFAULTS.maxUrls),
          maxBytes: z.number().int().positive().default(DOWNLOAD_DEFAULTS.maxBytes),
          concurrency: z.number().int().min(1).max(64).default(DOWNLOAD_DEFAULTS.concurrency),
        })
        .default(DOWNLOAD_DEFAULTS),
    })
    .default({
      allowHosts: [],
      allowPrivateAddresses: false,
      timeoutMs: 15_000,
      maxBytes: 25 * 1024 * 1024,
      maxRedirects: 3,
      perRequest: DOWNLOAD_DEFAULTS,
    }),
  /** Caps on parsing untrusted documents and pages, off the event loop (config/parser-config.ts). */
  parsers: parserConfig,
  /** Caps on decoding clients' images and audio: pixels, time, decodes at once, seconds of audio (config/media-limits-config.ts). */
  mediaLimits: mediaLimitsConfig,
  /** The /augment endpoints and the web search and scraping behind chat's venice_parameters. */
  augment: z
    .strictObject({
      /**
       * Search engines by the `search_provider` they answer (brave, google). A request without one uses `brave`'s,
       * else the first listed. `searxng`: a SearxNG instance's JSON API (`engines` narrows it, e.g. "google");
       * `brave`: the Brave Search API with the operator's subscription token.
       */
      search: z
        .array(
          z.discriminatedUnion('kind', [
            z.strictObject({
              kind: z.literal('searxng'),
              provider: z.enum(['brave', 'google']).default('brave'),
              url: z.url(),
              engines: z.string().optional(),
              language: z.string().optional(),
              timeoutMs: z.number().int().positive().default(10_000),
            }),
            z.strictObject({
              kind: z.literal('brave'),
              provider: z.enum(['brave', 'google']).default('brave'),
              url: z.url().default('https://api.search.brave.com/res/v1'),
              apiKey: z.string().min(1),
              timeoutMs: z.number().int().positive().default(10_000),
            }),
          ]),
        )
        .default([]),
      /** /augment/scrape: hosts (and their subdomains) refused at once, as Venice refuses sites that block scrapers. */
      scrapeBlockedHosts: z.array(z.string()).default(['x.com', 'twitter.com', 'reddit.com']),
      /** Per request, USD and DIEM (Venice charges $0.01 for each); free by default. */
      pricing: z
        .strictObject({
          search: price.default(FREE_PRICE),
          scrape: price.default(FREE_PRICE),
          textParser: price.default(FREE_PRICE),
        })
        .default({ search: FREE_PRICE, scrape: FREE_PRICE, textParser: FREE_PRICE }),
    })
    .default({
      search: [],
      scrapeBlockedHosts: ['x.com', 'twitter.com', 'reddit.com'],
      pricing: { search: FREE_PRICE, scrape: FREE_PRICE, textParser: FREE_PRICE },
    }),
  /** POST /crypto/rpc/{network}: the networks relayed to the operator's nodes, price per credit (config/crypto-rpc-config.ts). */
  cryptoRpc: cryptoRpcConfig,
  /**
   * Venice's Safe Mode on generated images (/image/generate safe_mode, /images/generations moderation "auto"):
   * an image the classifier scores at or above `threshold` (the probability of adult content) is blurred and
   * answered with x-venice-is-blurred: true. `nsfwjs` runs the model that ships in its npm package; `none`
   * turns Safe Mode into a no-op.
   */
  contentSafety: z
    .strictObject({
      classifier: z.enum(['nsfwjs', 'none']).default('nsfwjs'),
      model: z.enum(['MobileNetV2', 'MobileNetV2Mid', 'InceptionV3']).default('MobileNetV2'),
      threshold: z.number().min(0).max(1).default(0.7),
    })
    .default({ classifier: 'nsfwjs', model: 'MobileNetV2', threshold: 0.7 }),
  /** Async generation jobs (video, music): durable in the store, run by workers in every instance. */
  jobs: z
    .strictObject({
      /** Jobs one instance drives at once (each waits on its engine, so this can exceed the CPU count). */
      workers: z.number().int().min(1).default(8),
      /** How often a running job's engine is asked for progress. */
      pollIntervalMs: z.number().int().min(50).default(2000),
      /** A worker's hold on a job, renewed while it works; a dead worker's jobs are taken over after it. */
      claimSeconds: z.number().int().min(1).default(30),
      /** A job not done by then fails and is refunded. */
      deadlineSeconds: z.number().int().min(1).default(3600),
      /** Where results are kept; default <dataDirectory>/media. */
      mediaDirectory: z.string().optional(),
      /**
       * Which queue hands jobs to workers: `store` (the jobs table, polled) or `pg-boss` (PostgreSQL's established
       * queue). `auto`: pg-boss when the database is PostgreSQL.
       */
      queue: z.enum(['auto', 'store', 'pg-boss']).default('auto'),
    })
    .default({
      workers: 8,
      pollIntervalMs: 2000,
      claimSeconds: 30,
      deadlineSeconds: 3600,
      queue: 'auto',
    }),
  /** x402 wallets: SIWx sign-in, the wallet ledger, top-ups (config/wallets-config.ts, docs/wallets.md); off by default. */
  wallets: walletsConfig,
  /** Every *.gguf in <dataDirectory>/models that no model names is served as a text model. */
  discoverModels: z.boolean().default(true),
  models: z.array(modelConfigSchema).default([]),
});

export type Config = z.infer<typeof configSchema>;
export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type JobsConfig = Config['jobs'];
export type ContentSafetyConfig = Config['contentSafety'];
export type AugmentConfig = Config['augment'];
export type SearchEngineConfig = AugmentConfig['search'][number];
export type FetchConfig = Config['fetch'];
export type TracingConfig = Config['tracing'];
export type { WalletNetworkConfig, WalletsConfig } from './config/wallets-config.ts';
export type TextPricing = z.infer<typeof textPricing>;
export type {
  Automatic1111EngineConfig,
  EspeakNgEngineConfig,
  EsrganEngineConfig,
  LlamaCppEngineConfig,
  LlamaServerEngineConfig,
  OnnxBackgroundRemovalEngineConfig,
  OpenAiCompatibleEngineConfig,
  PocketsphinxEngineConfig,
  SherpaOnnxEngineConfig,
  VeniceEngineConfig,
} from './config/engine-config.ts';
export type { ImageConstraints } from './config/media-config.ts';

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    source: string,
  ) {
    super(
      `Invalid configuration (${source}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Environment variables that override the file (each documented in the README). */
function applyEnvironment(
  raw: Record<string, unknown>,
  environment: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const server = { ...(raw.server as Record<string, unknown> | undefined) };
  if (environment.RIALTO_HOST) server.host = environment.RIALTO_HOST;
  if (environment.RIALTO_PORT) server.port = Number(environment.RIALTO_PORT);
  const result: Record<string, unknown> = { ...raw, server };
  if (environment.RIALTO_DATA_DIR) result.dataDirectory = environment.RIALTO_DATA_DIR;
  if (environment.RIALTO_LOG_LEVEL) result.logLevel = environment.RIALTO_LOG_LEVEL;
  if (environment.DATABASE_URL) result.database = { url: environment.DATABASE_URL };
  if (environment.REDIS_URL)
    result.rateLimits = {
      ...(raw.rateLimits as Record<string, unknown> | undefined),
      store: 'redis',
      redisUrl: environment.REDIS_URL,
    };
  if (environment.RIALTO_SYSTEM_PROMPT !== undefined)
    result.systemPrompt = environment.RIALTO_SYSTEM_PROMPT;
  return result;
}

/** Validates a raw config object (already merged with the environment) into a typed Config. */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
      source,
    );
  }
  const ids = new Set<string>();
  const duplicates = result.data.models
    .filter((entry) => ids.size === ids.add(entry.id).size)
    .map((entry) => `models: duplicate id '${entry.id}'`);
  if (duplicates.length > 0) throw new ConfigError(duplicates, source);
  return result.data;
}

/**
 * Reads the YAML file (`path`, else $RIALTO_CONFIG, else ./rialto.yaml when present), applies the
 * environment, validates. Relative paths in the file are resolved against the file's folder.
 */
export function loadConfig(
  path: string | undefined,
  environment: NodeJS.ProcessEnv = process.env,
): Config {
  const file =
    path ?? environment.RIALTO_CONFIG ?? (existsSync('rialto.yaml') ? 'rialto.yaml' : undefined);
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError([`cannot read ${file}: ${(error as Error).message}`], file);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      throw new ConfigError([`not valid YAML: ${(error as Error).message}`], file);
    }
  }
  const config = parseConfig(
    applyEnvironment(raw, environment),
    file ?? 'defaults and environment',
  );
  const base = file === undefined ? process.cwd() : dirname(resolve(file));
  if (!isAbsolute(config.dataDirectory)) config.dataDirectory = resolve(base, config.dataDirectory);
  return config;
}
