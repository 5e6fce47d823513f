import { estimateTokens } from '../../engines/openai-compatible/openai-compatible-engine.ts';
import { withFlatPrice } from '../augment/flat-price.ts';
import type { Billing } from '../billing/meter.ts';
import type { Cost } from '../pricing.ts';
import type { ParserPool } from '../parsers/parser-pool.ts';
import type { DocumentFile } from './document-text.ts';

/** swagger: /augment/text-parser 200 (application/json). */
export interface ParsedDocument {
  text: string;
  /** The text's token count: the estimate Rialto uses where no model's tokenizer applies. */
  tokens: number;
}

/** The name usage records show for text-parser requests. */
export const TEXT_PARSER_MODEL_ID = 'augment-text-parser';

/**
 * POST /augment/text-parser: the operator's flat price (config augment.pricing.textParser) is reserved
 * first (402 when it cannot be), charged once the text is out, and released when parsing fails (400) or
 * the client leaves. The document is parsed after the reservation, on a parser process (config.parsers' caps).
 */
export function parseDocument(
  file: DocumentFile,
  billing: Billing,
  price: Cost,
  signal: AbortSignal,
  parsers: ParserPool,
): Promise<ParsedDocument> {
  return withFlatPrice(billing, TEXT_PARSER_MODEL_ID, price, signal, async () => {
    const text = await parsers.extractText(file, signal);
    return { text, tokens: estimateTokens(text) };
  });
}
