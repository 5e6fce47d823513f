import type { ChatMessage, FunctionTool } from '../schemas/chat.ts';

/** What a chat service asks of an engine, already resolved to the engine's own model name. */
export interface EngineChatRequest {
  /** The engine-facing model name (the upstream's name, or the GGUF's id). */
  model: string;
  /** OpenAI-format messages, system prompt already applied. */
  messages: ChatMessage[];
  /** Completion token budget (visible + reasoning); absent means up to the end of the context. */
  maxTokens?: number;
  /** Whether the client streams; an upstream engine asks its upstream for the same mode. */
  stream: boolean;
  /** Number of choices to generate. */
  n: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  repetitionPenalty?: number;
  seed?: number;
  stop?: string[];
  tools?: FunctionTool[];
  toolChoice?: 'auto' | 'none' | 'required' | { name: string };
  parallelToolCalls?: boolean;
  responseFormat?:
    | { type: 'json_schema'; schema: Record<string, unknown>; name?: string }
    | { type: 'json_object' };
  reasoningEffort?: string;
  /** Ask the model not to think (models that support switching it off). */
  disableThinking?: boolean;
  logprobs?: boolean;
  topLogprobs?: number;
  /** Request fields the engine may forward as they are (prompt_cache_key, metadata, …). */
  passThrough?: Record<string, unknown>;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface EngineUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens?: number;
  reasoningTokens?: number;
}

/** One step of a generation. Events of one choice arrive in order; `usage` comes last, once. */
export type EngineChatEvent =
  | { type: 'content'; choice: number; text: string }
  | { type: 'reasoning'; choice: number; text: string }
  | {
      type: 'tool_call';
      choice: number;
      index: number;
      id?: string;
      name?: string;
      arguments: string;
    }
  | { type: 'finish'; choice: number; reason: FinishReason }
  | { type: 'usage'; usage: EngineUsage };

export interface EngineEmbedRequest {
  model: string;
  input: string[];
  dimensions?: number;
}

export interface EngineEmbedResult {
  vectors: number[][];
  promptTokens: number;
}

/** One call's context: the client's abort signal, and where the engine served it. */
export interface EngineCall {
  readonly signal: AbortSignal;
  /** Set by the engine before its first event or result: e.g. `llama-cpp`, `openai-compatible/gpu-1` (x-venice-model-router). */
  servedBy?: string;
  /** Set by the engine and kept current while it generates: what was used so far (exact or estimated),
   *  so a request that ends early (client gone) can be billed for what was generated. */
  usage?: EngineUsage;
}

/** An engine's work at one moment (GET /metrics). */
export interface EngineLoad {
  /** Calls being served now (llama.cpp sequences busy, upstream requests open). */
  active: number;
  /** Calls waiting for a slot. */
  queued: number;
  /** Calls it serves at once (sequences; connections to its upstreams). */
  capacity: number;
}

/** What every engine has, whatever it serves. */
export interface EngineBase {
  /** e.g. 'llama-cpp', 'openai-compatible', 'espeak-ng'; reported in x-venice-model-router. */
  readonly kind: string;
  /** Whether the engine can serve now (every upstream endpoint answers, the model is loaded). Never throws. */
  checkHealth(signal: AbortSignal): Promise<{ healthy: boolean; detail: string }>;
  /** Its load now; synchronous and cheap (read at each scrape). Engines that do not track it have none. */
  load?(): EngineLoad;
  /** Frees everything; later calls fail. */
  close(): Promise<void>;
}

/**
 * A text engine: chat and embeddings for the models it serves. Engines know nothing of keys or money.
 * Every call honours its AbortSignal: once aborted, generation stops and the engine's resources
 * (a llama.cpp sequence, an upstream connection) are freed before the call settles.
 * Failures are thrown as EngineError (engine-error.ts).
 */
export interface TextEngine extends EngineBase {
  readonly modality: 'text';
  /** Streams one completion (all choices), ending with a `usage` event. */
  streamChat(request: EngineChatRequest, call: EngineCall): AsyncIterable<EngineChatEvent>;
  /**
   * The same events in the batches they arrive in (one upstream read, one message of a worker), for a relay that
   * hands a batch on at once instead of awaiting each event; never an empty batch. Optional: streamChat's events
   * one a batch otherwise (services/chat/chat-stream.ts engineBatches).
   */
  streamChatBatches?(
    request: EngineChatRequest,
    call: EngineCall,
  ): AsyncIterable<readonly EngineChatEvent[]>;
  /** Embeds each input, in order. */
  embed(request: EngineEmbedRequest, call: EngineCall): Promise<EngineEmbedResult>;
  /** Tokens the text takes for this model (for accounting when an engine reports none). */
  countTokens(model: string, text: string): Promise<number>;
}

export type AudioFormat = 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm';

/** swagger: CreateSpeechRequestSchema, resolved to the engine's terms. */
export interface SpeechRequest {
  model: string;
  input: string;
  voice: string;
  format: AudioFormat;
  /** 0.25..4, 1 = normal. */
  speed: number;
  language?: string;
}

export interface SpeechResult {
  /** Audio in the requested format, sentence by sentence when the engine can (for `streaming: true`). */
  audio: AsyncIterable<Buffer>;
  contentType: string;
}

/** A speech engine (text to speech). */
export interface SpeechEngine extends EngineBase {
  readonly modality: 'speech';
  /** The voices a model offers (model_spec.voices); a request naming another is a 400. */
  voices(model: string): readonly string[];
  /** The formats a model can produce (model_spec.supported_formats). */
  formats(model: string): readonly AudioFormat[];
  synthesize(request: SpeechRequest, call: EngineCall): Promise<SpeechResult>;
}

/** swagger: CreateTranscriptionRequestSchema, resolved to the engine's terms. */
export interface TranscriptionRequest {
  model: string;
  /** The uploaded file's bytes, any container ffmpeg reads. */
  audio: Buffer;
  fileName?: string;
  language?: string;
  /** Word and segment timings, where the engine gives them. */
  timestamps: boolean;
  /**
   * Called once, when the audio is decoded and its length known, before recognition starts (the caller
   * reserves payment for that many seconds here). If it rejects, the engine stops and rejects with its error.
   */
  beforeRecognition?: (durationSeconds: number) => Promise<void>;
  /**
   * Caps on decoding the upload: decoding stops soon after `maxSeconds` of audio (the length then given to
   * beforeRecognition is above it), and a decoder still running after `timeoutSeconds` is killed ('timeout').
   */
  decodeLimits?: { maxSeconds: number; timeoutSeconds: number };
}

export interface TranscriptionResult {
  text: string;
  /** Seconds of audio. */
  duration: number;
  words?: { word: string; start: number; end: number }[];
  segments?: { text: string; start: number; end: number }[];
}

/** A transcription engine (speech to text). Silent, empty or corrupt audio is EngineError 'bad_request'. */
export interface TranscriptionEngine extends EngineBase {
  readonly modality: 'transcription';
  transcribe(request: TranscriptionRequest, call: EngineCall): Promise<TranscriptionResult>;
}

/** Decoded pixels, row by row, `channels` bytes a pixel (3 = RGB, 4 = RGBA). */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** swagger: GenerateImageRequest, resolved to the engine's terms (style preset already applied to the prompts). */
export interface ImageGenerateRequest {
  model: string;
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  /** Images to make (variants); each is a separate image in the result. */
  count: number;
  steps: number;
  cfgScale: number;
  /** The seed to use; engines that take none ignore it. */
  seed: number;
  /** low / medium / high, for engines that take it. */
  quality?: 'low' | 'medium' | 'high';
}

/** swagger: EditImageRequest / MultiEditImageRequest, resolved: the first image is the base, the rest are layers. */
export interface ImageEditRequest {
  model: string;
  prompt: string;
  /** Encoded images (PNG, JPEG or WebP bytes), already checked by the service. */
  images: Buffer[];
  /** The output size the service wants (the engine may answer another; the service resizes). */
  width: number;
  height: number;
  seed: number;
  quality?: 'low' | 'medium' | 'high';
}

export interface GeneratedImages {
  /** Encoded images (any format sharp reads); the service converts them to the requested format. */
  images: Buffer[];
  /** The seed the engine used, when it says. */
  seed?: number;
}

/** An image engine: generation (image models) and prompt edits (inpaint models). */
export interface ImageEngine extends EngineBase {
  readonly modality: 'image';
  generate(request: ImageGenerateRequest, call: EngineCall): Promise<GeneratedImages>;
  edit(request: ImageEditRequest, call: EngineCall): Promise<GeneratedImages>;
}

export interface UpscaleRequest {
  image: RawImage;
  scale: 2 | 4;
  /** 0..0.02 (swagger: UpscaleImageRequest.creativity); engines that cannot vary ignore it. */
  creativity: number;
}

/** An upscale engine (super-resolution). Returns `scale` times the input's width and height. */
export interface UpscaleEngine extends EngineBase {
  readonly modality: 'upscale';
  upscale(request: UpscaleRequest, call: EngineCall): Promise<RawImage>;
}

/** A background-removal engine: the foreground's alpha mask, one byte a pixel, the input's size. */
export interface BackgroundRemovalEngine extends EngineBase {
  readonly modality: 'background-removal';
  foregroundMask(
    image: RawImage,
    call: EngineCall,
  ): Promise<{ mask: Buffer; width: number; height: number }>;
}

/**
 * Judges images for Venice's Safe Mode (safe_mode, moderation "auto"): how likely an image is adult content.
 * Not an Engine of its own model: the image services hold one, whatever engine made the image.
 */
export interface ContentClassifier {
  /** 0..1: the probability that the image (any format sharp reads) is adult content. Rejects with EngineError. */
  adultScore(image: Buffer): Promise<number>;
  close(): Promise<void>;
}

/** One web search hit (swagger: WebSearchResponse.results[]): `content` is the engine's snippet, `date` '' when unknown. */
export interface SearchHit {
  title: string;
  url: string;
  content: string;
  date: string;
}

/** A web search engine (SearxNG, Brave Search): up to `limit` hits for a query, best first. Throws EngineError. */
export interface SearchEngine {
  readonly kind: string;
  search(query: string, limit: number, call: EngineCall): Promise<SearchHit[]>;
  close(): Promise<void>;
}

/** An async generation job as its engine sees it: the validated Venice request, model replaced by the engine's name. */
export interface JobSubmission {
  kind: 'video' | 'music';
  model: string;
  /** The request body (QueueVideoRequest / QueueAudioRequest fields), `model` already the engine's. */
  request: Record<string, unknown>;
}

/** The media of a finished job: bytes as they arrive, and their type (video/mp4, audio/mpeg, …). */
export interface JobMedia {
  body: AsyncIterable<Uint8Array>;
  contentType: string;
}

export type JobStatus =
  | { state: 'running'; progress?: number }
  | { state: 'done'; media: JobMedia }
  /** `moderation`: refused by the engine's content policy (refunded, 422 on retrieve). */
  | { state: 'failed'; reason: string; moderation: boolean };

/**
 * An async job engine (video, music): submit once, then poll until done. Engines keep no state of their
 * own between calls, so a restarted worker (any process) resumes a job from its engine job id alone.
 */
export interface JobEngine extends EngineBase {
  readonly modality: 'job';
  /** Starts the job on the engine; its id there. */
  submit(job: JobSubmission, call: EngineCall): Promise<{ engineJobId: string }>;
  poll(job: JobSubmission, engineJobId: string, call: EngineCall): Promise<JobStatus>;
  /** Frees the engine's copy of the job and its media (best effort; the result is already stored). */
  cleanup(job: JobSubmission, engineJobId: string, call: EngineCall): Promise<void>;
  /**
   * Stops a job Rialto gave up on (its deadline passed) where the engine can: dequeued or interrupted, so it
   * frees the engine. Best effort, never throws. Engines whose API cannot stop a job leave it out.
   */
  cancel?(job: JobSubmission, engineJobId: string): Promise<void>;
}

/** Every engine, by what it serves. */
export type Engine =
  | TextEngine
  | SpeechEngine
  | TranscriptionEngine
  | ImageEngine
  | UpscaleEngine
  | BackgroundRemovalEngine
  | JobEngine;
