// What the fuzzer needs to know about each operation beyond the swagger: the values that reach Rialto's
// engines (configured model ids, real images and audio, local URLs, ids that exist), which key a valid call
// carries, how many valid calls an engine can afford, and the operations Rialto does not implement.
import fc from 'fast-check';
import { FuzzFile, type Hints } from './swagger-arbitraries.ts';
import type { Operation } from './swagger-operations.ts';

export interface FuzzWorld {
  assetOrigin: string;
  png: Buffer;
  wav: Buffer;
  /** A key made for the fuzzer to read and update (never the keys the requests carry). */
  spareKeyId: string;
  /** Keys made for DELETE /api_keys to delete. */
  deletableKeyIds: string[];
  characterSlug: string;
  videoQueueId: string;
  musicQueueId: string;
  /** The x402 wallet of the fuzzer: SIWx headers signed for it, another wallet's address, the top-up network. */
  wallet: {
    address: string;
    other: string;
    siwxHeaders: string[];
    chainId: number;
    token: string;
    payTo: string;
  };
}

export interface OperationProfile {
  /** Values for valid requests (and for the valid parts of broken ones). */
  hints: Hints;
  /** Replaces `hints` in broken requests, where a real engine call would only cost time. */
  brokenHints?: Hints;
  /** The key a valid call carries. */
  key: fc.Arbitrary<'inference' | 'admin' | 'none'>;
  /** A call without a valid key must fail (401). */
  keyRequired: boolean;
  /** Rialto wants an ADMIN key (INVENTORY §1 "B-admin"): an INFERENCE key gets 403 UNAUTHORIZED. */
  adminOnly: boolean;
  /** Valid requests per FUZZ_RUNS broken ones (slow engines get fewer). */
  validShare: number;
  /** Why Rialto does not serve the operation (it answers 404 ROUTE_NOT_FOUND). */
  unimplemented?: string;
}

/** Rialto has no voice cloning here (x402 wallets and web3 key minting are on: fuzz-fixture.ts). */
// Every operation of the swagger is served now (POST /audio/voices on a chatterbox model since #19); an operation
// Rialto drops again is named here with why, and its 404s are then allowed.
const UNIMPLEMENTED: Record<string, string> = {};

const base64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64');

/**
 * PAYMENT-SIGNATURE values that must not credit anything: not base64, not JSON, not an x402 payload, and x402 v2
 * payloads in the form the exact EVM scheme sends whose EIP-3009 signature, version, network or amount is wrong.
 */
function brokenPayments(wallet: FuzzWorld['wallet']): string[] {
  const network = `eip155:${wallet.chainId}`;
  const accepted = {
    scheme: 'exact',
    network,
    amount: '5000000',
    asset: wallet.token,
    payTo: wallet.payTo,
    maxTimeoutSeconds: 300,
    extra: { name: 'USD Coin', version: '2' },
  };
  const payload = (changes: Record<string, unknown>, signature = `0x${'11'.repeat(65)}`) => ({
    x402Version: 2,
    accepted,
    payload: {
      signature,
      authorization: {
        from: wallet.address,
        to: wallet.payTo,
        value: '5000000',
        validAfter: '0',
        validBefore: '9999999999',
        nonce: `0x${'22'.repeat(32)}`,
      },
    },
    ...changes,
  });
  return [
    'not base64 at all!',
    base64('not json'),
    base64('{}'),
    base64([]),
    base64({ x402Version: 2 }),
    base64(payload({})),
    base64(payload({}, '0x')),
    base64(payload({ x402Version: 1 })),
    base64(payload({ accepted: { ...accepted, network: 'eip155:1' } })),
    base64(payload({ accepted: { ...accepted, amount: '1' } })),
    base64(payload({ accepted: { ...accepted, scheme: 'upto' } })),
    base64(payload({ payload: 'x'.repeat(10_000) })),
  ];
}

/**
 * Quotes need no key in Rialto, as docs/guides/media/music-and-sound-effects.mdx says of /audio/quote (INVENTORY §12 #9,
 * where the swagger's global BearerAuth says otherwise).
 */
const KEYLESS = new Set(['POST /audio/quote', 'POST /video/quote']);

const ADMIN_ONLY = new Set([
  'GET /api_keys',
  'POST /api_keys',
  'PATCH /api_keys',
  'DELETE /api_keys',
  'GET /api_keys/{id}',
  'GET /billing/balance',
  'GET /billing/usage-analytics',
  'GET /billing/usage-history',
]);

/** The model ids each operation's valid calls name (fuzz-fixture.ts configures them). */
const MODELS: Record<string, string[]> = {
  'POST /chat/completions': ['fuzz-chat', 'fuzz-chat-plain'],
  'POST /responses': ['fuzz-chat', 'fuzz-chat-plain'],
  'POST /image/generate': ['fuzz-image'],
  'POST /images/generations': ['fuzz-image'],
  'POST /image/edit': ['fuzz-edit'],
  'POST /image/multi-edit': ['fuzz-edit'],
  'POST /embeddings': ['fuzz-embed'],
  'POST /audio/speech': ['tts-fuzz', 'tts-espeak'],
  'POST /audio/transcriptions': ['asr-fuzz', 'asr-sphinx'],
  'POST /video/queue': ['fuzz-video'],
  'POST /video/quote': ['fuzz-video'],
  'POST /video/retrieve': ['fuzz-video'],
  'POST /video/complete': ['fuzz-video'],
  'POST /audio/queue': ['fuzz-music'],
  'POST /audio/quote': ['fuzz-music'],
  'POST /audio/retrieve': ['fuzz-music'],
  'POST /audio/complete': ['fuzz-music'],
};

const SLOW = new Set([
  'POST /image/edit',
  'POST /image/multi-edit',
  'POST /audio/transcriptions',
  'POST /video/transcriptions',
  'POST /audio/speech',
]);

/** A few realistic chat messages: most valid chat calls should reach the engine, not stop at validation. */
const CHAT_MESSAGES = fc
  .array(
    fc.record({
      role: fc.constantFrom('system', 'user', 'assistant'),
      content: fc.string({ minLength: 1, maxLength: 40 }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((messages) => [...messages, { role: 'user', content: 'Say something.' }]);
const FUNCTION_TOOLS = fc.array(
  fc.record({
    type: fc.constant('function'),
    function: fc.record({
      name: fc.stringMatching(/^[a-z_]{1,20}$/),
      description: fc.string({ maxLength: 20 }),
      parameters: fc.constant({ type: 'object', properties: { city: { type: 'string' } } }),
    }),
  }),
  { minLength: 1, maxLength: 2 },
);

/**
 * Per operation: values that make a valid call likely to pass Rialto's own checks (the swagger allows `n: 0`,
 * any `steps`, any duration; the models configured in fuzz-fixture.ts take fewer) and reach the engine.
 * `only` paths take the hint alone; `omit` paths are left out of valid calls.
 */
const TUNING: Record<
  string,
  (hints: {
    properties: Record<string, fc.Arbitrary<unknown>>;
    only: Set<string>;
    omit: Set<string>;
  }) => void
> = {
  'POST /chat/completions': ({ properties, only }) => {
    Object.assign(properties, {
      messages: CHAT_MESSAGES,
      tools: FUNCTION_TOOLS,
      n: fc.constant(1),
      top_logprobs: fc.integer({ min: 0, max: 20 }),
    });
    only.add('n').add('top_logprobs');
  },
  'POST /responses': ({ properties }) => {
    properties.input = fc.string({ minLength: 1, maxLength: 40 });
  },
  'POST /image/generate': ({ properties, only, omit }) => {
    Object.assign(properties, {
      steps: fc.integer({ min: 1, max: 20 }),
      width: fc.constantFrom(256, 512, 1024),
      height: fc.constantFrom(256, 512, 1024),
    });
    ['steps', 'width', 'height'].forEach((path) => only.add(path));
    ['inpaint', 'style_preset', 'style_references'].forEach((path) => omit.add(path));
  },
  'POST /image/background-remove': ({ omit }) => {
    omit.add('image_url');
  },
  'POST /audio/speech': ({ properties, only }) => {
    properties.voice = fc.constantFrom('af_sky', 'en-us');
    // Short texts: a real synthesizer takes longer the longer the text, which says nothing about validation.
    properties.input = fc.string({ minLength: 1, maxLength: 40 });
    only.add('input');
  },
  'POST /video/queue': ({ properties }) => {
    Object.assign(properties, {
      duration: fc.constantFrom('5s', '10s'),
      aspect_ratio: fc.constantFrom('16:9', '1:1'),
      resolution: fc.constantFrom('720p', '1080p'),
    });
  },
  'POST /video/quote': ({ properties }) => {
    Object.assign(properties, {
      duration: fc.constantFrom('5s', '10s'),
      aspect_ratio: fc.constantFrom('16:9', '1:1'),
      resolution: fc.constantFrom('720p', '1080p'),
    });
  },
  'POST /audio/queue': ({ properties }) => {
    Object.assign(properties, {
      voice: fc.constant('narrator'),
      language_code: fc.constantFrom('en', 'fr'),
    });
  },
  // The network fuzz-fixture.ts relays to its ganache chain, and methods of its allow-list (most calls reach the chain).
  'POST /crypto/rpc/{network}': ({ properties, only }) => {
    const method = fc.constantFrom(
      'eth_blockNumber',
      'eth_chainId',
      'eth_getBalance',
      'eth_call',
      'net_version',
    );
    Object.assign(properties, {
      network: fc.constant('base-sepolia'),
      method,
      '[].method': method,
    });
    only.add('network').add('method').add('[].method');
  },
  // Days that exist and lie ahead: the swagger's pattern also matches 2026-02-30 and past dates, refused with 400.
  'POST /api_keys/generate_web3_key': ({ properties, only }) => {
    properties.expiresAt = fc.constantFrom('', '2099-01-31', '2099-12-31T23:59:59Z');
    only.add('expiresAt');
  },
  'GET /billing/usage-analytics': ({ properties }) => {
    Object.assign(properties, {
      lookback: fc.constantFrom('7d', '30d'),
      startDate: fc.constant('2026-01-01'),
      endDate: fc.constant('2026-01-31'),
    });
  },
};

export function profileOf(operation: Operation, world: FuzzWorld): OperationProfile {
  const png = new FuzzFile(world.png, 'image.png', 'image/png');
  const image = fc.oneof(
    { weight: 4, arbitrary: fc.constant(png) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 32 })
        .map((bytes) => new FuzzFile(bytes, 'junk.png', 'image/png')),
    },
  );
  const url = fc.constantFrom(
    ...['/image.png', '/page.html', '/audio.wav', '/document.txt', '/video.mp4', '/missing'].map(
      (path) => `${world.assetOrigin}${path}`,
    ),
    'http://127.0.0.1:1/closed',
    `data:image/png;base64,${world.png.toString('base64')}`,
  );
  const properties: Record<string, fc.Arbitrary<unknown>> = {};
  const models = MODELS[operation.id];
  if (models !== undefined) properties.model = properties.modelId = fc.constantFrom(...models);
  properties['venice_parameters.character_slug'] = fc.constant(world.characterSlug);
  properties.slug = fc.constant(world.characterSlug);
  // DELETE takes keys made to be deleted; the others read and change one that stays.
  properties.id =
    operation.id === 'DELETE /api_keys'
      ? fc.constantFrom(...world.deletableKeyIds)
      : fc.constant(world.spareKeyId);
  properties.queue_id = fc.constant(
    operation.template.startsWith('/video') ? world.videoQueueId : world.musicQueueId,
  );
  properties.image = image;
  properties.images = fc.array(image, { minLength: 1, maxLength: 3 });
  properties.file =
    operation.template === '/augment/text-parser'
      ? fc.constantFrom(
          new FuzzFile(Buffer.from('A plain text document.\n'), 'notes.txt', 'text/plain'),
          new FuzzFile(world.png, 'image.png', 'image/png'),
        )
      : fc.constant(new FuzzFile(world.wav, 'audio.wav', 'audio/wav'));
  const only = new Set<string>();
  const omit = new Set<string>();
  // /x402/*: the fuzzer's own wallet mostly (another's gets 403), signed in with a fresh SIWx header; top-ups paid badly.
  properties.walletAddress = fc.oneof(
    { weight: 4, arbitrary: fc.constant(world.wallet.address) },
    { weight: 1, arbitrary: fc.constant(world.wallet.other) },
  );
  // Each operation its own half of the headers: the same seed picks the same ones, and a nonce is good once.
  const half = world.wallet.siwxHeaders.length / 2;
  properties['SIGN-IN-WITH-X'] = fc.constantFrom(
    ...(operation.id.includes('transactions')
      ? world.wallet.siwxHeaders.slice(half)
      : world.wallet.siwxHeaders.slice(0, half)),
  );
  properties['PAYMENT-SIGNATURE'] = fc.constantFrom(...brokenPayments(world.wallet));
  only.add('walletAddress').add('SIGN-IN-WITH-X').add('PAYMENT-SIGNATURE');
  TUNING[operation.id]?.({ properties, only, omit });
  // Engines that take a few hundred milliseconds a call (image edits, ffmpeg-measured audio) get fewer valid calls.
  let validShare = SLOW.has(operation.id) ? 0.3 : 0.5;
  let brokenHints: Hints | undefined;
  if (operation.id === 'POST /image/upscale') {
    // ESRGAN on the CPU takes seconds an image: few valid calls, at 2x; broken ones never reach the engine with a real image.
    properties.scale = fc.constant(2);
    only.add('scale').add('image');
    validShare = 0.02;
    brokenHints = {
      properties: {
        ...properties,
        image: fc
          .uint8Array({ maxLength: 32 })
          .map((bytes) => new FuzzFile(bytes, 'junk.png', 'image/png')),
      },
      url,
      only,
    };
  }
  const adminOnly = ADMIN_ONLY.has(operation.id);
  const keyRequired = operation.auth === 'bearer' && !KEYLESS.has(operation.id);
  const key = keyRequired
    ? fc.constant(adminOnly ? ('admin' as const) : ('inference' as const))
    : fc.constantFrom('none' as const, 'inference' as const);
  const unimplemented = UNIMPLEMENTED[operation.id];
  return {
    hints: { properties, url, file: image, only, omit },
    key,
    keyRequired,
    adminOnly,
    validShare,
    ...(brokenHints === undefined ? {} : { brokenHints }),
    ...(unimplemented === undefined ? {} : { unimplemented }),
  };
}
