import { randomInt, randomUUID } from 'node:crypto';
import type {
  ContentClassifier,
  EngineCall,
  ImageEngine,
  ImageGenerateRequest,
} from '../../engines/engine.ts';
import { engineFor } from '../../engines/engine-for.ts';
import { EngineError, toVeniceError } from '../../engines/engine-error.ts';
import { imageHeaderOf, untrustedImage, withImageSlot } from '../../engines/untrusted-image.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type {
  GenerateImageRequest,
  SimpleGenerateImageRequest,
} from '../../schemas/image-generate.ts';
import type { Billing } from '../billing/meter.ts';
import { convertImage, type ImageFormat } from '../media/image-input.ts';
import type { ModelEntry, ModelRegistry } from '../model-registry.ts';
import type { Cost } from '../pricing.ts';
import {
  aspectRatioDimensions,
  openAiSizeDimensions,
  sizesByAspectRatio,
  type ImageDimensions,
} from './image-dimensions.ts';
import { imageCostOf } from './image-pricing.ts';
import { checkImageRequest, checkPromptLength } from './image-request-checks.ts';
import { applyImageStyle, findImageStyle } from './image-styles.ts';
import type { PromptEnhancer } from './prompt-enhancer.ts';

/** swagger: the `timing` of /image/generate's answer, in milliseconds. */
export interface GenerationTiming {
  inferenceDuration: number;
  inferencePreprocessingTime: number;
  /** Rialto queues nothing before the engine; an upstream's own queue wait is inside inferenceDuration. */
  inferenceQueueTime: number;
  total: number;
}

export interface GenerationOutcome {
  /** generate-image-<uuid> */
  id: string;
  /** The images, encoded in `format`, at the planned size. */
  images: Buffer[];
  format: ImageFormat;
  entry: ModelEntry;
  servedBy: string;
  /** The seed the images were made with. */
  seed: number;
  /** The rewritten prompt, when enhance_prompt produced one (sent URL-encoded in x-venice-enhanced-prompt). */
  enhancedPrompt?: string;
  /** Whether Safe Mode blurred an image (x-venice-is-blurred). */
  blurred: boolean;
  timing: GenerationTiming;
  cost: Cost;
}

/** One generation, resolved against its model: what the engine is asked for and how the answer is shaped. */
interface GenerationPlan {
  entry: ModelEntry;
  engine: ImageEngine;
  prompt: string;
  negativePrompt?: string;
  stylePreset?: string;
  size: ImageDimensions;
  count: number;
  steps: number;
  cfgScale: number;
  seed: number;
  quality?: 'low' | 'medium' | 'high';
  format: ImageFormat;
  enhance: boolean;
  safeMode: boolean;
  exif: boolean;
}

const SEED_RANGE = 1_000_000_000;

/**
 * POST /image/generate and /images/generations, framework-free: resolves the model, checks the request
 * against its constraints, prices it (image-pricing.ts) and reserves that before anything runs, rewrites
 * the prompt when asked (fails open), applies the style preset, runs any ImageEngine, and converts every
 * image to the requested format and size. The reservation is settled once the images are encoded, and
 * released when anything fails or the client leaves.
 */
export class ImageGenerationService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly enhancer?: PromptEnhancer,
    private readonly safety?: SafeMode,
  ) {}

  async generate(
    request: GenerateImageRequest,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<GenerationOutcome> {
    const started = performance.now();
    const { entry } = this.registry.resolve(request.model, 'image');
    const engine = engineFor(entry, 'image');
    checkImageRequest(request, entry.config);
    const limits = entry.config.imageConstraints;
    const size = sizesByAspectRatio(limits)
      ? aspectRatioDimensions(limits, request.aspect_ratio, request.resolution)
      : {
          width: request.width ?? limits.defaultWidth,
          height: request.height ?? limits.defaultHeight,
        };
    const quality = request.quality ?? limits.defaultQuality;
    return this.run(
      {
        entry,
        engine,
        prompt: request.prompt,
        size,
        count: request.return_binary ? 1 : (request.variants ?? 1),
        steps: request.steps ?? limits.steps.default,
        cfgScale: request.cfg_scale ?? limits.cfgScale,
        seed: request.seed ?? randomInt(SEED_RANGE),
        format: request.format,
        enhance: request.enhance_prompt === true,
        safeMode: request.safe_mode,
        exif: request.embed_exif_metadata,
        ...(request.negative_prompt === undefined
          ? {}
          : { negativePrompt: request.negative_prompt }),
        ...(request.style_preset === undefined ? {} : { stylePreset: request.style_preset }),
        ...(quality === undefined || limits.qualities === undefined ? {} : { quality }),
      },
      started,
      signal,
      billing,
    );
  }

  /**
   * /images/generations (INVENTORY §11.15): `model` defaults to "default", and a model that is not an image
   * model here (an OpenAI name such as dall-e-3) falls back to the default image model. One image.
   */
  async generateSimple(
    request: SimpleGenerateImageRequest,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<GenerationOutcome> {
    const started = performance.now();
    const entry = this.simpleModel(request.model);
    const engine = engineFor(entry, 'image');
    const limits = entry.config.imageConstraints;
    checkPromptLength(request.prompt, entry.config);
    return this.run(
      {
        entry,
        engine,
        prompt: request.prompt,
        size: openAiSizeDimensions(limits, request.size ?? 'auto'),
        count: 1,
        steps: limits.steps.default,
        cfgScale: limits.cfgScale,
        seed: randomInt(SEED_RANGE),
        format: request.output_format,
        enhance: false,
        safeMode: request.moderation !== 'low',
        exif: false,
        ...(limits.qualities === undefined || limits.defaultQuality === undefined
          ? {}
          : { quality: limits.defaultQuality }),
      },
      started,
      signal,
      billing,
    );
  }

  private simpleModel(model: string): ModelEntry {
    try {
      return this.registry.resolve(model, 'image').entry;
    } catch (error) {
      if (
        !(error instanceof VeniceError) ||
        (error.code !== 'MODEL_NOT_FOUND' && error.code !== 'INVALID_MODEL')
      )
        throw error;
      const fallback = this.registry.traits('image').default;
      if (fallback === undefined) throw error;
      return this.registry.resolve(fallback, 'image').entry;
    }
  }

  private async run(
    plan: GenerationPlan,
    started: number,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<GenerationOutcome> {
    const { entry, engine } = plan;
    const id = `generate-image-${randomUUID()}`;
    const cost = imageCostOf(
      entry.config,
      {
        ...(plan.size.resolution === undefined ? {} : { resolution: plan.size.resolution }),
        ...(plan.quality === undefined ? {} : { quality: plan.quality }),
      },
      plan.count,
    );
    const settlement = await billing.reserve({
      modelId: entry.config.id,
      modelType: 'image',
      requestId: id,
      limitClass: 'image',
      tokens: 0,
      worstCase: cost,
      privacy: entry.config.privacy,
    });
    try {
      const enhancedPrompt = plan.enhance
        ? await this.enhancer?.enhance(
            plan.prompt,
            {
              safeMode: plan.safeMode,
              maxLength: entry.config.imageConstraints.promptCharacterLimit,
            },
            signal,
            billing,
          )
        : undefined;
      const styled = applyImageStyle(
        plan.stylePreset === undefined ? undefined : findImageStyle(plan.stylePreset),
        enhancedPrompt ?? plan.prompt,
        plan.negativePrompt,
      );
      const engineRequest: ImageGenerateRequest = {
        model: entry.engineModel,
        prompt: styled.prompt,
        width: plan.size.width,
        height: plan.size.height,
        count: plan.count,
        steps: plan.steps,
        cfgScale: plan.cfgScale,
        seed: plan.seed,
        ...(styled.negativePrompt === undefined ? {} : { negativePrompt: styled.negativePrompt }),
        ...(plan.quality === undefined ? {} : { quality: plan.quality }),
      };
      const call: EngineCall = { signal };
      const inferenceStart = performance.now();
      const generated = await engine.generate(engineRequest, call);
      const inferenceDuration = performance.now() - inferenceStart;
      if (generated.images.length < plan.count)
        throw new EngineError(
          'failed',
          `the engine made ${generated.images.length} image(s) of ${plan.count}`,
        );
      const description = plan.exif ? exifDescription(engineRequest, entry.config.id) : undefined;
      const encoded = await Promise.all(
        generated.images.slice(0, plan.count).map((image) =>
          encodeImage(image, plan.format, plan.size, description).catch((error: unknown) => {
            throw new EngineError(
              'failed',
              `the engine sent an image that cannot be decoded: ${(error as Error).message}`,
              { cause: error, retryable: false },
            );
          }),
        ),
      );
      const judged =
        plan.safeMode && this.safety !== undefined
          ? await Promise.all(encoded.map((image) => this.safety!.apply(image, plan.format)))
          : encoded.map((image) => ({ image, blurred: false }));
      const images = judged.map((result) => result.image);
      await settlement.settle({ promptTokens: 0, completionTokens: 0 }, cost, 'completed');
      const timing = {
        inferenceDuration: Math.round(inferenceDuration),
        inferencePreprocessingTime: Math.round(inferenceStart - started),
        inferenceQueueTime: 0,
        total: Math.round(performance.now() - started),
      };
      return {
        id,
        images,
        format: plan.format,
        entry,
        servedBy: call.servedBy ?? engine.kind,
        seed: plan.seed,
        timing,
        cost,
        blurred: judged.some((result) => result.blurred),
        ...(enhancedPrompt === undefined ? {} : { enhancedPrompt }),
      };
    } catch (error) {
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
      throw error instanceof EngineError ? toVeniceError(error, 'prompt') : error;
    }
  }
}

/**
 * Venice's Safe Mode (INVENTORY §1.1 safe_mode: "Blurs adult content. Sets x-venice-is-blurred"): an image the
 * classifier scores at or above the threshold is blurred beyond recognition (a Gaussian blur of 1/16 of its
 * longer side) and re-encoded in its format; metadata are not kept.
 */
export class SafeMode {
  constructor(
    private readonly classifier: ContentClassifier,
    private readonly threshold: number,
  ) {}

  async apply(image: Buffer, format: ImageFormat): Promise<{ image: Buffer; blurred: boolean }> {
    if ((await this.classifier.adultScore(image)) < this.threshold)
      return { image, blurred: false };
    const { width, height, blurred } = await withImageSlot(async () => {
      const { width: wide, height: high } = await imageHeaderOf(image);
      return {
        width: wide,
        height: high,
        blurred: await untrustedImage(image, { failOn: 'warning' })
          .blur(Math.max(4, Math.max(wide, high) / 16))
          .toBuffer(),
      };
    });
    return { image: await convertImage(blurred, format, { width, height }), blurred: true };
  }
}

/** The generation parameters in A1111's infotext layout ("prompt\nNegative prompt: …\nSteps: …"), for EXIF. */
function exifDescription(request: ImageGenerateRequest, model: string): string {
  const negative =
    request.negativePrompt === undefined || request.negativePrompt === ''
      ? ''
      : `\nNegative prompt: ${request.negativePrompt}`;
  return `${request.prompt}${negative}\nSteps: ${request.steps}, CFG scale: ${request.cfgScale}, Seed: ${request.seed}, Size: ${request.width}x${request.height}, Model: ${model}`;
}

const escapeXml = (text: string): string =>
  text.replace(/[<>&"]/g, (character) => `&#${character.charCodeAt(0)};`);

/** An XMP packet with the description as dc:description (UTF-8, where EXIF's ImageDescription is ASCII). */
function xmpPacket(description: string): string {
  return (
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
    `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:CreatorTool>Rialto</xmp:CreatorTool>` +
    `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(description)}</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
  );
}

/**
 * An engine's image in the requested format at the planned size (an engine may answer another size). With a
 * description (swagger: embed_exif_metadata), it goes into EXIF IFD0 ImageDescription — an ASCII field, so
 * libvips transliterates other characters — and, whole, into XMP dc:description, in the same single encode,
 * with image-input.ts's encoder settings.
 */
async function encodeImage(
  image: Buffer,
  format: ImageFormat,
  size: ImageDimensions,
  description: string | undefined,
): Promise<Buffer> {
  if (description === undefined)
    return convertImage(image, format, { width: size.width, height: size.height });
  return withImageSlot(async () => {
    await imageHeaderOf(image);
    const pipeline = untrustedImage(image, { failOn: 'warning' })
      .rotate()
      .resize(size.width, size.height, { fit: 'cover' })
      .withExif({ IFD0: { ImageDescription: description, Software: 'Rialto' } })
      .withXmp(xmpPacket(description));
    switch (format) {
      case 'png':
        return pipeline.png().toBuffer();
      case 'jpeg':
        return pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
      case 'webp':
        return pipeline.webp({ quality: 90 }).toBuffer();
    }
  });
}
