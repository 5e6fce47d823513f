// The server the fuzzer drives: Rialto with a model for every operation on cheap real engines — the fast
// upstream double (chat, embeddings, speech, transcriptions, async jobs), the OpenAI images double (sharp),
// ESRGAN, a tiny ONNX background remover, SearxNG's double, and espeak-ng / pocketsphinx / ffmpeg where Debian's
// packages are installed (those models are optional, left out otherwise) — plus what valid requests refer to:
// a ganache chain behind the crypto RPC proxy, a character, spare keys, a queued video and a queued song.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyOnnx } from '../fixtures/tiny-onnx.ts';
import { privateKeyToAccount } from 'viem/accounts';
import { CHAIN_PRIVATE_KEYS, deployToken, startEvmChain } from '../support/evm-chain.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { startOpenAiImagesServer } from '../support/upstream/openai-images-server.ts';
import { startSearxngServer } from '../support/upstream/search-servers.ts';
import { evmSiwxHeader } from '../support/x402-siwx.ts';
import { startFuzzUpstream } from './fuzz-upstream.ts';
import type { FuzzWorld } from './fuzz-profiles.ts';
import type { KeyKind } from './fuzz-request.ts';

export interface FuzzFixture {
  rialto: TestRialto;
  world: FuzzWorld;
  /** The Bearer value each kind of key sends (none: no header). */
  keys: Record<KeyKind, string | undefined>;
  close(): Promise<void>;
}

/** A music model that takes every option /audio/queue has, so that valid calls get past its checks. */
const MUSIC = {
  supports_lyrics: true,
  supports_force_instrumental: true,
  supports_lyrics_optimizer: true,
  supports_loop: true,
  supports_language_code: true,
  supports_speed: true,
  min_speed: 0.5,
  max_speed: 2,
  min_duration: 1,
  max_duration: 600,
  voices: ['narrator'],
  default_voice: 'narrator',
};

const ALL_CAPABILITIES = {
  supportsVision: true,
  supportsMultipleImages: true,
  supportsAudioInput: true,
  supportsVideoInput: true,
  supportsReasoning: true,
  supportsReasoningEffort: true,
  supportsWebSearch: true,
  supportsLogProbs: true,
  supportsXSearch: true,
};

async function post(
  rialto: TestRialto,
  path: string,
  key: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${rialto.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200)
    throw new Error(
      `fuzz fixture: POST ${path} answered ${response.status}: ${JSON.stringify(answer)}`,
    );
  return answer;
}

/** Signed in advance (signing is async, fast-check's arbitraries are not): more than the valid calls of one run. */
const SIWX_HEADERS = 64;

export async function startFuzzFixture(): Promise<FuzzFixture> {
  const [upstream, images, searxng, chain] = await Promise.all([
    startFuzzUpstream(),
    startOpenAiImagesServer({ models: ['gpt-image-1'] }),
    startSearxngServer(),
    startEvmChain(),
  ]);
  // x402 top-ups are paid in a real ERC-20 on the chain; the local facilitator settles with this key (the environment only).
  const token = await deployToken(chain);
  process.env.RIALTO_FUZZ_SETTLEMENT_KEY = CHAIN_PRIVATE_KEYS[3];
  const payTo = privateKeyToAccount(CHAIN_PRIVATE_KEYS[2]!).address;
  const dataDirectory = mkdtempSync(join(tmpdir(), 'rialto-fuzz-'));
  await writeTinyOnnx(join(dataDirectory, 'models', 'saliency.onnx'), { size: 64 });
  const openAi = (url: string, extra: Record<string, unknown> = {}) => ({
    kind: 'openai-compatible',
    endpoints: [{ url }],
    timeoutMs: 10_000,
    ...extra,
  });
  const venice = { kind: 'venice', endpoints: [{ url: upstream.veniceUrl }], timeoutMs: 10_000 };
  const rialto = await startRialto({
    dataDirectory,
    logLevel: process.env.FUZZ_LOG ?? 'silent',
    fetch: { allowHosts: ['127.0.0.1'], timeoutMs: 5000 },
    augment: { search: [{ kind: 'searxng', url: searxng.url }] },
    // POST /crypto/rpc/{network}: a real EVM chain's JSON-RPC (test/support/evm-chain.ts).
    cryptoRpc: { networks: { 'base-sepolia': { nodes: [{ url: chain.rpcUrl }] } } },
    // GET|POST /api_keys/generate_web3_key: wallets on an allow-list mint keys; EIP-1271 checks reach the chain.
    // /x402/*: sign-in with a wallet, its ledger, top-ups settled by the local facilitator on the same chain.
    wallets: {
      enabled: true,
      networks: [
        {
          id: `eip155:${chain.chainId}`,
          token: { address: token.address },
          payTo,
          rpcUrl: chain.rpcUrl,
        },
      ],
      facilitator: { kind: 'local', settlementKeyEnv: 'RIALTO_FUZZ_SETTLEMENT_KEY' },
      // The headers are signed at start and the whole suite takes minutes: good for the hour the config allows, not five minutes.
      signInMaxAgeSeconds: 3600,
      web3Keys: {
        enabled: true,
        network: `eip155:${chain.chainId}`,
        rpcUrl: chain.rpcUrl,
        rule: { allowList: ['0x45B73055F3aDcC4577Bb709db10B19d11b5c94eE'] },
      },
    },
    contentSafety: { classifier: 'none' },
    jobs: { pollIntervalMs: 5000 },
    models: [
      {
        id: 'fuzz-chat',
        engine: openAi(upstream.openAiUrl, { model: 'fuzz' }),
        capabilities: ALL_CAPABILITIES,
        contextLength: 32_768,
      },
      {
        id: 'fuzz-chat-plain',
        engine: openAi(upstream.openAiUrl),
        capabilities: { supportsFunctionCalling: false, supportsResponseSchema: false },
      },
      {
        id: 'fuzz-embed',
        type: 'embedding',
        engine: openAi(upstream.openAiUrl),
        embeddingDimensions: 8,
        supportsCustomDimensions: true,
      },
      {
        id: 'tts-fuzz',
        type: 'tts',
        engine: openAi(upstream.openAiUrl),
        voices: ['af_sky', 'en-us'],
        defaultFormat: 'wav',
      },
      {
        id: 'tts-espeak',
        type: 'tts',
        engine: { kind: 'espeak-ng', voices: ['en-us'] },
        optional: true,
      },
      // Before asr-sphinx: /video/transcriptions takes the first asr model. Its engine measures uploads with ffmpeg.
      { id: 'asr-fuzz', type: 'asr', engine: openAi(upstream.openAiUrl), optional: true },
      { id: 'asr-sphinx', type: 'asr', engine: { kind: 'pocketsphinx' }, optional: true },
      {
        id: 'fuzz-image',
        type: 'image',
        engine: openAi(images.url, { model: 'gpt-image-1' }),
        traits: ['default'],
      },
      {
        id: 'fuzz-edit',
        type: 'inpaint',
        engine: openAi(images.url, { model: 'gpt-image-1' }),
        imageConstraints: { promptCharacterLimit: 1000, maxInputImages: 3 },
      },
      { id: 'fuzz-upscale', type: 'upscale', engine: { kind: 'esrgan', tileSize: 128 } },
      {
        id: 'fuzz-background',
        type: 'image',
        engine: { kind: 'onnx-background-removal', path: 'saliency.onnx', threads: 1 },
      },
      {
        id: 'fuzz-video',
        type: 'video',
        engine: venice,
        videoConstraints: {
          durations: ['5s', '10s'],
          aspect_ratios: ['16:9', '1:1'],
          resolutions: ['720p', '1080p'],
          audio: true,
          audio_configurable: true,
        },
      },
      { id: 'fuzz-music', type: 'music', engine: venice, music: MUSIC },
    ],
  });
  const spare = await rialto.keys.create({ apiKeyType: 'INFERENCE', description: 'fuzz spare' });
  const deletable = await Promise.all(
    [1, 2, 3].map((index) =>
      rialto.keys.create({ apiKeyType: 'INFERENCE', description: `fuzz deletable ${index}` }),
    ),
  );
  const characterSlug = 'fuzz-hero';
  await post(rialto, '/characters', rialto.adminKey, {
    slug: characterSlug,
    name: 'Fuzz Hero',
    systemPrompt: 'You are a fuzz hero.',
    modelId: 'fuzz-chat',
  });
  const video = await post(rialto, '/video/queue', rialto.inferenceKey, {
    model: 'fuzz-video',
    prompt: 'A gondola at dusk',
    duration: '5s',
  });
  const music = await post(rialto, '/audio/queue', rialto.inferenceKey, {
    model: 'fuzz-music',
    prompt: 'Warm strings',
  });
  // SIWx headers of one wallet, each with its own nonce (a nonce is taken once: a header sent twice gets 401).
  const wallet = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1]!);
  const siwxHeaders = await Promise.all(
    Array.from({ length: SIWX_HEADERS }, () =>
      evmSiwxHeader(wallet, {
        origin: rialto.baseURL,
        chainId: chain.chainId,
        expirationTime: new Date(Date.now() + 3_600_000),
      }),
    ),
  );
  return {
    rialto,
    world: {
      wallet: {
        address: wallet.address,
        other: privateKeyToAccount(CHAIN_PRIVATE_KEYS[4]!).address,
        siwxHeaders,
        chainId: chain.chainId,
        token: token.address,
        payTo,
      },
      assetOrigin: upstream.assetOrigin,
      png: upstream.assets.png,
      wav: upstream.assets.wav,
      spareKeyId: spare.record.id,
      deletableKeyIds: deletable.map((key) => key.record.id),
      characterSlug,
      videoQueueId: String(video.queue_id),
      musicQueueId: String(music.queue_id),
    },
    keys: {
      inference: rialto.inferenceKey,
      admin: rialto.adminKey,
      none: undefined,
      bad: 'rk-0000000000000000-not-a-real-key',
    },
    close: async () => {
      await rialto.close();
      await Promise.all([upstream.close(), images.close(), searxng.close(), chain.stop()]);
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}
