import { VeniceError } from '../errors/venice-error.ts';
import type { EngineCall } from '../engines/engine.ts';
import { EngineError, toVeniceError } from '../engines/engine-error.ts';
import type { CreateEmbeddingRequest, EmbeddingResponse } from '../schemas/embeddings.ts';
import { engineFor } from '../engines/engine-for.ts';
import { contextLengthOf, type ModelEntry, type ModelRegistry } from './model-registry.ts';
import { priceOf, type Cost } from './pricing.ts';
import type { Billing } from './billing/meter.ts';
import { randomUUID } from 'node:crypto';

/** Shortens a vector to `dimensions` and renormalises it (how Matryoshka-trained models are cut). */
function shorten(vector: number[], dimensions: number): number[] {
  const head = vector.slice(0, dimensions);
  const norm = Math.hypot(...head);
  return norm === 0 ? head : head.map((value) => value / norm);
}

/** OpenAI's base64 encoding: the float32 little-endian bytes of the vector. */
function toBase64(vector: number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => buffer.writeFloatLE(value, index * 4));
  return buffer.toString('base64');
}

export interface EmbeddingResult {
  body: EmbeddingResponse;
  entry: ModelEntry;
  servedBy: string;
  cost: Cost;
}

/** BOS, EOS and the like, which a tokenizer adds around each input. */
const SPECIAL_TOKENS_PER_INPUT = 2;

/** POST /embeddings (swagger: CreateEmbeddingRequestSchema → the list of embeddings, in input order). */
export class EmbeddingService {
  constructor(private readonly registry: ModelRegistry) {}

  async create(
    request: CreateEmbeddingRequest,
    signal: AbortSignal,
    billing: Billing,
  ): Promise<EmbeddingResult> {
    const { entry } = this.registry.resolve(request.model, 'embedding');
    const { config } = entry;
    if (request.dimensions !== undefined) {
      if (!config.supportsCustomDimensions)
        throw new VeniceError('INVALID_REQUEST', {
          message: `Model ${config.id} does not support custom dimensions`,
        });
      if (
        config.embeddingDimensions !== undefined &&
        request.dimensions > config.embeddingDimensions
      ) {
        throw new VeniceError('INVALID_REQUEST', {
          message: `dimensions must be at most ${config.embeddingDimensions} for ${config.id}`,
        });
      }
    }
    const input = typeof request.input === 'string' ? [request.input] : request.input;
    const call: EngineCall = { signal };
    const engine = engineFor(entry, 'text');
    // Admitted and reserved before the tokenizer runs: a token holds at least one byte, and an input longer than the
    // context is refused by the engine before any charge, so each input is at most its bytes and the special tokens
    // around it, or the context. Settled to the engine's count.
    const context = contextLengthOf(entry);
    const promptTokens = input.reduce(
      (sum, text) => sum + Math.min(Buffer.byteLength(text) + SPECIAL_TOKENS_PER_INPUT, context),
      0,
    );
    const settlement = await billing.reserve({
      modelId: config.id,
      modelType: 'embedding',
      requestId: `embedding-${randomUUID()}`,
      limitClass: 'embedding',
      tokens: promptTokens,
      privacy: config.privacy,
      worstCase: priceOf(config.pricing, { promptTokens, completionTokens: 0 }),
    });
    let result;
    try {
      result = await engine.embed(
        {
          model: entry.engineModel,
          input,
          ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
        },
        call,
      );
    } catch (error) {
      await settlement.release(signal.aborted ? 'client_disconnected' : 'failed');
      throw error instanceof EngineError ? toVeniceError(error, 'input') : error;
    }
    const data = result.vectors.map((vector, index): EmbeddingResponse['data'][number] => {
      const sized =
        request.dimensions !== undefined && vector.length > request.dimensions
          ? shorten(vector, request.dimensions)
          : vector;
      return {
        object: 'embedding',
        index,
        embedding: request.encoding_format === 'base64' ? toBase64(sized) : sized,
      };
    });
    const usage = { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens };
    const used = { promptTokens: result.promptTokens, completionTokens: 0 };
    const cost = priceOf(config.pricing, used);
    await settlement.settle(used, cost, 'completed');
    return {
      body: { object: 'list', data, model: config.id, usage },
      entry,
      servedBy: call.servedBy ?? entry.engine.kind,
      cost,
    };
  }
}
