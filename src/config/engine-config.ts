import { z } from 'zod';

// The `engine` of a model in rialto.yaml, one schema per engine kind (config.ts joins them).

export const llamaCppEngine = z.strictObject({
  kind: z.literal('llama-cpp'),
  /** GGUF file: absolute, or relative to the models folder. */
  path: z.string().min(1),
  /** Tokens of KV cache per sequence; defaults to the model's context length capped at 8192. */
  contextSize: z.number().int().positive().optional(),
  /** Parallel sequences (concurrent requests) per model. */
  sequences: z.number().int().min(1).max(64).default(2),
  /** Requests waiting for a free sequence; one more gets MODEL_AT_CAPACITY. */
  maxQueue: z.number().int().min(0).default(16),
  /** CPU threads; 'auto' measures the machine (see engines/llama-cpp/thread-count.ts). */
  threads: z.union([z.number().int().min(1), z.literal('auto')]).default('auto'),
  gpuLayers: z.union([z.number().int().min(0), z.literal('auto')]).default(0),
  /**
   * `process`: the model runs in a child process of its own (engines/llama-cpp/isolated-llama-cpp-engine.ts), so a
   * crash in llama.cpp's native code fails only the requests it was serving, and the process is restarted;
   * `none`: in the server's own process.
   */
  isolation: z.enum(['process', 'none']).default('process'),
});

/**
 * A GGUF served by llama.cpp's own llama-server, which Rialto runs as a supervised child process on 127.0.0.1
 * (engines/llama-server/): continuous batching across sequences, and image input through a multimodal projector.
 */
export const llamaServerEngine = z.strictObject({
  kind: z.literal('llama-server'),
  /** GGUF file: absolute, or relative to the models folder. */
  path: z.string().min(1),
  /** The multimodal projector GGUF (llama-server's --mmproj): with it, a model with supportsVision takes images. */
  mmproj: z.string().min(1).optional(),
  /** The llama-server executable; default: $RIALTO_LLAMA_SERVER, else what scripts/build-llama-server.sh built. */
  binary: z.string().min(1).optional(),
  /** Tokens of KV cache per sequence (as llama-cpp's); default: the model's contextLength, else 4096. */
  contextSize: z.number().int().positive().optional(),
  /** Parallel sequences (llama-server's slots, -np), decoded together in one batch. */
  sequences: z.number().int().min(1).max(64).default(2),
  /** CPU threads; 'auto' is half the logical CPUs, as for llama-cpp. */
  threads: z.union([z.number().int().min(1), z.literal('auto')]).default('auto'),
  gpuLayers: z.number().int().min(0).default(0),
  /** How long the child may take to load the model and answer /health 200. */
  startTimeoutMs: z.number().int().positive().default(300_000),
  /** Ends a request that has not finished (non-stream) or sent its first byte (stream) in time. */
  timeoutMs: z.number().int().positive().default(600_000),
  /** More llama-server options, appended as given (e.g. ["--flash-attn", "on"]). */
  arguments: z.array(z.string()).default([]),
});

export const upstreamEndpoint = z.strictObject({
  /** Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1. */
  url: z.url(),
  /** Shown in x-venice-model-router; defaults to the URL's host:port. */
  name: z.string().optional(),
  apiKey: z.string().optional(),
  /** Relative share of traffic among healthy endpoints. */
  weight: z.number().int().min(1).default(1),
  /**
   * HTTP/2 to an https URL (negotiated by ALPN; the upstream may still answer HTTP/1.1): each connection carries up
   * to `maxStreamsPerConnection` requests at once, so thousands of open streams need a few sockets, not one each.
   */
  http2: z.boolean().optional(),
  /** Streams one HTTP/2 connection carries at once (default 100; the upstream's own SETTINGS may lower it). */
  maxStreamsPerConnection: z.number().int().min(1).optional(),
  /** A PEM file of the certificate authorities to trust for this https endpoint (a private CA), besides Node's own. */
  caFile: z.string().min(1).optional(),
  /**
   * A Unix domain socket to connect to instead of the URL's host and port (vLLM's `--uds`, llama-server's `--host
   * PATH.sock`): the URL still gives the scheme, the path and the Host header. Only processes allowed to open the
   * socket's file reach such a server.
   */
  socketPath: z.string().min(1).optional(),
});

export const openAiCompatibleEngine = z.strictObject({
  kind: z.literal('openai-compatible'),
  endpoints: z.array(upstreamEndpoint).min(1),
  /** The model name the upstream expects; defaults to the Rialto model id. */
  model: z.string().optional(),
  /** Ends a request that has not finished (non-stream) or sent its first byte (stream) in time. */
  timeoutMs: z.number().int().positive().default(600_000),
  /** Connections kept open per endpoint. */
  maxConnections: z.number().int().positive().default(64),
  /** Parse inline `<think>…</think>` in upstream content into reasoning_content. */
  parseThinkTags: z.boolean().default(true),
  /**
   * How disable_thinking reaches the upstream: `chat_template_kwargs` sends {enable_thinking: false} (vLLM and
   * llama.cpp server with Qwen3-style templates), `reasoning_effort` sends "none" (OpenAI-style APIs), `strip`
   * only removes the reasoning from the answer (the upstream still spends tokens thinking).
   */
  disableThinking: z.enum(['strip', 'chat_template_kwargs', 'reasoning_effort']).default('strip'),
  /**
   * image and inpaint models: what the upstream's image API takes (engines/openai-compatible/openai-image-engine.ts).
   * `openai`: the OpenAI spec only (/images/generations, multipart /images/edits); `localai`: LocalAI's
   * /images/generations, which also takes seed, step and input images (`file`, `ref_images`) for edits.
   */
  imageApi: z.enum(['openai', 'localai']).default('openai'),
  /** image and inpaint models: the sizes the upstream accepts (e.g. 1024x1024); absent: any WxH. */
  imageSizes: z
    .array(z.string().regex(/^\d+x\d+$/, 'a size is WIDTHxHEIGHT'))
    .min(1)
    .optional(),
  /** asr models: the ffmpeg that measures uploads before they are sent (default: ffmpeg on PATH). */
  ffmpeg: z.string().min(1).optional(),
  /** video models: the clip lengths in seconds the upstream's /videos accepts; absent: Sora 2's 4, 8 and 12. */
  videoSeconds: z.array(z.number().int().positive()).min(1).optional(),
  /** video models: the sizes the upstream's /videos accepts (WIDTHxHEIGHT); absent: Sora 2's four sizes. */
  videoSizes: z
    .array(z.string().regex(/^\d+x\d+$/, 'a size is WIDTHxHEIGHT'))
    .min(1)
    .optional(),
});

export const audioFormat = z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);

/** espeak-ng from Debian's packages, run as a child process (GPL code stays out of Rialto's process). */
export const espeakNgEngine = z.strictObject({
  kind: z.literal('espeak-ng'),
  command: z.string().default('espeak-ng'),
  ffmpeg: z.string().default('ffmpeg'),
  /** Voices offered (espeak-ng voice names such as en-us, en-gb, de); default: every installed voice. */
  voices: z.array(z.string()).optional(),
  /** Syntheses running at once; more wait their turn. */
  concurrency: z.number().int().min(1).default(2),
});

/** pocketsphinx with its English model from Debian's packages, run as a child process. */
export const pocketsphinxEngine = z.strictObject({
  kind: z.literal('pocketsphinx'),
  command: z.string().optional(),
  ffmpeg: z.string().default('ffmpeg'),
  /** Acoustic model, language model and dictionary; default: Debian's pocketsphinx-en-us files. */
  acousticModel: z.string().optional(),
  languageModel: z.string().optional(),
  dictionary: z.string().optional(),
  concurrency: z.number().int().min(1).default(2),
});

/**
 * An AUTOMATIC1111 / Forge WebUI started with --api: /sdapi/v1/txt2img (image models) and /sdapi/v1/img2img
 * (inpaint models).
 */
export const automatic1111Engine = z.strictObject({
  kind: z.literal('automatic1111'),
  endpoints: z.array(upstreamEndpoint).min(1),
  /** The checkpoint to run (`override_settings.sd_model_checkpoint`); default: whatever the server has loaded. */
  checkpoint: z.string().optional(),
  sampler: z.string().default('Euler a'),
  /** img2img: how far an edit may move from its input (0..1). */
  denoisingStrength: z.number().min(0).max(1).default(0.6),
  timeoutMs: z.number().int().positive().default(600_000),
  maxConnections: z.number().int().positive().default(8),
});

/** ESRGAN super-resolution from @upscalerjs/esrgan-slim (weights ship in the npm package), on TensorFlow.js's wasm backend. */
export const esrganEngine = z.strictObject({
  kind: z.literal('esrgan'),
  /** Tile edge in input pixels: large images are upscaled tile by tile. */
  tileSize: z.number().int().min(16).max(1024).default(128),
  /** Upscales running at once; more wait their turn. */
  concurrency: z.number().int().min(1).default(1),
});

/**
 * A salient-object ONNX model (U²-Net, U²-Netp, IS-Net, …) on onnxruntime-node: one input [1,3,S,S], the
 * first output a [1,1,S,S] mask.
 */
export const onnxBackgroundRemovalEngine = z.strictObject({
  kind: z.literal('onnx-background-removal'),
  /** The .onnx file: absolute, or relative to the models folder. */
  path: z.string().min(1),
  /** The model's square input size S (U²-Net 320, IS-Net 1024); default: read from the model. */
  inputSize: z.number().int().positive().optional(),
  /** Per-channel normalization of RGB in 0..1 (U²-Net: ImageNet's; IS-Net: mean 0.5, std 1). */
  mean: z.tuple([z.number(), z.number(), z.number()]).default([0.485, 0.456, 0.406]),
  std: z.tuple([z.number(), z.number(), z.number()]).default([0.229, 0.224, 0.225]),
  threads: z.number().int().min(1).default(1),
  concurrency: z.number().int().min(1).default(1),
});

/** sherpa-onnx's text-to-speech model families (OfflineTts), and its speech-recognition ones (OfflineRecognizer). */
export const SHERPA_ONNX_TTS_FAMILIES = ['kokoro', 'vits', 'matcha', 'zipvoice', 'pocket'] as const;
export const SHERPA_ONNX_ASR_FAMILIES = [
  'whisper',
  'nemo-transducer',
  'sense-voice',
  'moonshine',
] as const;

/**
 * A sherpa-onnx model (k2-fsa's ONNX speech toolkit, through sherpa-onnx-node): a folder as sherpa-onnx's release
 * archives unpack, whose files are named by role (engines/sherpa-onnx/sherpa-onnx-files.ts gives each family's
 * defaults, the names its archives use). tts families serve `tts` models, asr families `asr` models.
 */
export const sherpaOnnxEngine = z
  .strictObject({
    kind: z.literal('sherpa-onnx'),
    /** The model folder: absolute, or relative to the models folder. */
    path: z.string().min(1),
    family: z.enum([...SHERPA_ONNX_TTS_FAMILIES, ...SHERPA_ONNX_ASR_FAMILIES]),
    /**
     * Files inside the folder by role, each overriding the family's default name. Which roles a family reads:
     * kokoro model, voices, tokens, lexicon, dataDir; vits model, tokens, lexicon, dataDir; matcha acousticModel,
     * vocoder, tokens, lexicon, dataDir; zipvoice encoder, decoder, vocoder, tokens, lexicon, dataDir; pocket lmFlow,
     * lmMain, encoder, decoder, textConditioner, vocabJson, tokenScoresJson; whisper encoder, decoder, tokens, vad;
     * nemo-transducer encoder, decoder, joiner, tokens, vad (Silero VAD, default silero_vad.onnx when the folder has
     * it: long audio is cut at its pauses, else every 28 s); sense-voice model, tokens; moonshine preprocessor, encoder,
     * uncachedDecoder, cachedDecoder, tokens. `lexicon` may list several files separated by commas (as sherpa-onnx takes it).
     */
    files: z
      .strictObject({
        model: z.string().min(1),
        voices: z.string().min(1),
        tokens: z.string().min(1),
        lexicon: z.string().min(1),
        dataDir: z.string().min(1),
        acousticModel: z.string().min(1),
        vocoder: z.string().min(1),
        encoder: z.string().min(1),
        decoder: z.string().min(1),
        joiner: z.string().min(1),
        vad: z.string().min(1),
        preprocessor: z.string().min(1),
        uncachedDecoder: z.string().min(1),
        cachedDecoder: z.string().min(1),
        lmFlow: z.string().min(1),
        lmMain: z.string().min(1),
        textConditioner: z.string().min(1),
        vocabJson: z.string().min(1),
        tokenScoresJson: z.string().min(1),
      })
      .partial()
      .default({}),
    /** tts: the voice names, in speaker-id order (voice i is speaker i); default: the model's own `speaker_names`. */
    voices: z.array(z.string().min(1)).min(1).optional(),
    /** kokoro: the language for text the lexicons do not cover (sherpa-onnx's `lang`, e.g. en-us); default: the model's. */
    language: z.string().min(1).optional(),
    /** ONNX Runtime threads per inference. */
    threads: z.number().int().min(1).max(64).default(2),
    /** Requests running at once per model (each holds one of libuv's threadpool threads while it computes). */
    maxConcurrency: z.number().int().min(1).max(16).default(1),
    /** Requests waiting for a turn; one more gets MODEL_AT_CAPACITY. */
    maxQueue: z.number().int().min(0).default(16),
    /** How long a request may wait for its turn before MODEL_AT_CAPACITY. */
    queueTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * tts: the model runs in a child process of its own (engines/sherpa-onnx/sherpa-onnx-tts-process.ts); a piece of
     * text it has not answered in this long fails the request with REQUEST_TIMEOUT and the process is replaced.
     */
    timeoutMs: z.number().int().positive().default(120_000),
    /** pocket (zero-shot cloning): days a voice made by POST /audio/voices, and its stored sample, are kept. */
    voiceRetentionDays: z.number().positive().default(7),
  })
  .refine((engine) => engine.family !== 'zipvoice', {
    // sherpa-onnx's ZipVoice speaks only in a reference voice whose transcript it is given (referenceText); Venice's
    // POST /audio/voices sends a sample and no text, so a ZipVoice model could not say anything here.
    message:
      'family zipvoice is not served: ZipVoice needs the transcript of every reference sample, which the Venice API ' +
      'does not send; use family pocket (Pocket TTS) for zero-shot voice cloning',
    path: ['family'],
  });

/**
 * Another Venice API (Rialto, or the hosted one at https://api.venice.ai/api/v1): async jobs are relayed job for
 * job (POST /video/queue, /video/retrieve, /video/complete; /audio/queue, /audio/retrieve, /audio/complete).
 */
export const veniceEngine = z.strictObject({
  kind: z.literal('venice'),
  endpoints: z.array(upstreamEndpoint).min(1),
  /** The upstream's model id; defaults to the Rialto model id. */
  model: z.string().optional(),
  timeoutMs: z.number().int().positive().default(120_000),
  maxConnections: z.number().int().positive().default(16),
});

/**
 * A Chatterbox TTS server (travisvn/chatterbox-tts-api): /audio/speech, and POST /audio/voices through its voice
 * library. One URL, no failover: a cloned voice lives in one server's library.
 */
export const chatterboxEngine = z.strictObject({
  kind: z.literal('chatterbox'),
  /** Base URL of the server, e.g. http://127.0.0.1:4123 (its routes are /v1/audio/speech and /v1/voices). */
  url: z.url(),
  /** Shown in x-venice-model-router; defaults to the URL's host:port. */
  name: z.string().optional(),
  apiKey: z.string().optional(),
  timeoutMs: z.number().int().positive().default(300_000),
  /** Days a cloned voice (and its sample, upstream) is kept; Venice keeps them 7. */
  voiceRetentionDays: z.number().positive().default(7),
});

export type LlamaCppEngineConfig = z.infer<typeof llamaCppEngine>;
export type OpenAiCompatibleEngineConfig = z.infer<typeof openAiCompatibleEngine>;
export type LlamaServerEngineConfig = z.infer<typeof llamaServerEngine>;
export type EspeakNgEngineConfig = z.infer<typeof espeakNgEngine>;
export type PocketsphinxEngineConfig = z.infer<typeof pocketsphinxEngine>;
export type Automatic1111EngineConfig = z.infer<typeof automatic1111Engine>;
export type EsrganEngineConfig = z.infer<typeof esrganEngine>;
export type OnnxBackgroundRemovalEngineConfig = z.infer<typeof onnxBackgroundRemovalEngine>;
export type VeniceEngineConfig = z.infer<typeof veniceEngine>;
export type SherpaOnnxEngineConfig = z.infer<typeof sherpaOnnxEngine>;
export type ChatterboxEngineConfig = z.infer<typeof chatterboxEngine>;
