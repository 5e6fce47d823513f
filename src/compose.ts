import type { Config } from './config.ts';
import { NsfwjsClassifier } from './engines/nsfwjs/nsfwjs-classifier.ts';
import { setImageDecodeLimits } from './engines/untrusted-image.ts';
import type { RateLimiter } from './rate-limit/rate-limiter.ts';
import { AccountService } from './services/accounts/account-service.ts';
import { OperatorReads } from './services/admin/operator-reads.ts';
import { WebScrapeService } from './services/augment/web-scrape-service.ts';
import { WebSearchService } from './services/augment/web-search-service.ts';
import type { Meter } from './services/billing/meter.ts';
import { syncedUsageReads } from './services/billing/synced-reads.ts';
import { CharacterService } from './services/character-service.ts';
import { CryptoRpcService } from './services/crypto/crypto-rpc-service.ts';
import { ChatService } from './services/chat/chat-service.ts';
import { EmbeddingService } from './services/embedding-service.ts';
import { BackgroundRemovalService } from './services/image/background-removal-service.ts';
import { ImageEditService } from './services/image/image-edit-service.ts';
import { ImageGenerationService, SafeMode } from './services/image/image-generation-service.ts';
import { ChatPromptEnhancer } from './services/image/prompt-enhancer.ts';
import { UpscaleService } from './services/image/upscale-service.ts';
import type { JobService } from './services/jobs/job-service.ts';
import type { KeyService } from './services/key-service.ts';
import { UrlFetcher } from './services/media/url-fetcher.ts';
import type { ModelRegistry } from './services/model-registry.ts';
import { ParserPool } from './services/parsers/parser-pool.ts';
import { ResponsesService } from './services/responses/responses-service.ts';
import { SpeechService } from './services/speech-service.ts';
import { VoiceService } from './services/voices/voice-service.ts';
import { TranscriptionService } from './services/transcription-service.ts';
import { CursorCodec, cursorSecret } from './services/usage/history-cursor.ts';
import { UsageAnalytics } from './services/usage/usage-analytics.ts';
import { UsageHistory } from './services/usage/usage-history.ts';
import { UsageSeries } from './services/usage/usage-series.ts';
import { VideoTranscriptionService } from './services/video-transcription-service.ts';
import type { Store } from './storage/store.ts';

/** What `serve` (or a test) opened first: the store, the models, keys, limits, the meter and the jobs. */
export interface CoreDependencies {
  config: Config;
  store: Store;
  keys: KeyService;
  registry: ModelRegistry;
  meter: Meter;
  /** The rate limiter, when limits are on. */
  limiter?: RateLimiter | undefined;
  /** The async job lifecycle (video, music). */
  jobs?: JobService | undefined;
}

/** Every service the routes use, built once; routes construct none. */
export interface Services extends CoreDependencies {
  accounts: AccountService;
  operator: OperatorReads;
  characters: CharacterService;
  fetcher: UrlFetcher;
  parsers: ParserPool;
  search: WebSearchService;
  scrape: WebScrapeService;
  /** POST /crypto/rpc/{network}: the operator's nodes per network (cryptoRpc). */
  cryptoRpc: CryptoRpcService;
  chat: ChatService;
  responses: ResponsesService;
  embeddings: EmbeddingService;
  speech: SpeechService;
  /** POST /audio/voices, and the vv_ voices /audio/speech resolves through it. */
  voices: VoiceService;
  transcription: TranscriptionService;
  videoTranscription: VideoTranscriptionService;
  imageGeneration: ImageGenerationService;
  imageEdit: ImageEditService;
  upscale: UpscaleService;
  backgroundRemoval: BackgroundRemovalService;
  usageHistory: UsageHistory;
  usageAnalytics: UsageAnalytics;
  usageSeries: UsageSeries;
  /** Ends what the services hold open (URL fetcher connections, search engines, parser processes, the classifier). */
  close(): Promise<void>;
}

/** Safe Mode's classifier, when configured: its worker thread starts on the first image it judges. */
function safeModeOf(config: Config): { safeMode?: SafeMode; close(): Promise<void> } {
  if (config.contentSafety.classifier !== 'nsfwjs') return { close: async () => undefined };
  const classifier = new NsfwjsClassifier(config.contentSafety.model);
  return {
    safeMode: new SafeMode(classifier, config.contentSafety.threshold),
    close: async () => classifier.close(),
  };
}

/** The composition root of the services: the one place that constructs them, from what `serve` opened. */
export function composeServices(core: CoreDependencies): Services {
  const { config, store, registry, meter, limiter } = core;
  // sharp and libuv's pool are per process: the image caps are too (engines/untrusted-image.ts).
  setImageDecodeLimits(config.mediaLimits.image);
  const fetcher = new UrlFetcher(config.fetch);
  const search = new WebSearchService(config.augment.search);
  // Documents and pages from clients are parsed in parser processes, under caps (config.parsers).
  const parsers = new ParserPool(config.parsers);
  const scrape = new WebScrapeService(fetcher, config.augment.scrapeBlockedHosts, parsers);
  const characters = new CharacterService(store);
  const voices = new VoiceService(registry, store);
  const cryptoRpc = new CryptoRpcService(config.cryptoRpc);
  const chat = new ChatService(
    registry,
    () => config.systemPrompt,
    characters,
    fetcher,
    { search, scrape, pricing: config.augment.pricing },
    parsers,
  );
  const transcription = new TranscriptionService(registry, config.mediaLimits.audio);
  const safety = safeModeOf(config);
  // Every configured model, removed ones included: their past usage is still priced and named.
  const models = new Map(
    registry.entries.map(({ config: model }) => [
      model.id,
      { name: model.name ?? model.id, pricing: model.pricing },
    ]),
  );
  const modelInfo = (modelId: string) => models.get(modelId);
  // Usage and spend read after what budget leases hold in memory is written.
  const usageReads = syncedUsageReads(store, () => meter.sync());
  return {
    ...core,
    accounts: new AccountService(store, meter),
    operator: new OperatorReads(store, limiter),
    characters,
    fetcher,
    parsers,
    search,
    scrape,
    cryptoRpc,
    chat,
    transcription,
    responses: new ResponsesService(chat, registry),
    embeddings: new EmbeddingService(registry),
    voices,
    speech: new SpeechService(registry, voices),
    // The video's audio is transcribed like /audio/transcriptions with the default limits of that service.
    videoTranscription: new VideoTranscriptionService(new TranscriptionService(registry), fetcher),
    // enhance_prompt rewrites with the default text model through chat, without the operator's system prompt.
    imageGeneration: new ImageGenerationService(
      registry,
      new ChatPromptEnhancer(chat, registry),
      safety.safeMode,
    ),
    imageEdit: new ImageEditService(registry, fetcher),
    upscale: new UpscaleService(registry, fetcher),
    backgroundRemoval: new BackgroundRemovalService(registry, fetcher),
    usageHistory: new UsageHistory(
      usageReads,
      (modelId) => modelInfo(modelId)?.pricing,
      new CursorCodec(cursorSecret()),
    ),
    usageAnalytics: new UsageAnalytics(usageReads, modelInfo),
    usageSeries: new UsageSeries(usageReads),
    close: async () => {
      await Promise.all([
        fetcher.close(),
        search.close(),
        parsers.close(),
        safety.close(),
        cryptoRpc.close(),
      ]);
    },
  };
}
