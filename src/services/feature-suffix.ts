import { z } from 'zod';
import { parseOrThrow } from '../errors/validation.ts';
import { veniceParameters, type VeniceParameters } from '../schemas/chat.ts';

// Keys whose values are strings even when they read "true" (a character could be called that).
const STRING_KEYS = new Set(['character_slug']);

/**
 * Parses the part after `:` in `model:key=value&key=value` into venice_parameters
 * (docs/api-reference/endpoint/chat/model_feature_suffix.mdx). Values are URL-decoded; `true`/`false`
 * become booleans. Unknown keys and bad values are a 400, like the same mistake in the body.
 */
export function parseFeatureSuffix(suffix: string): VeniceParameters {
  const raw: Record<string, string | boolean> = {};
  for (const pair of suffix.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decode(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? 'true' : decode(pair.slice(equals + 1));
    raw[key] = STRING_KEYS.has(key)
      ? value
      : value === 'true'
        ? true
        : value === 'false'
          ? false
          : value;
  }
  return parseOrThrow(z.object({ venice_parameters: veniceParameters }), { venice_parameters: raw })
    .venice_parameters;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
