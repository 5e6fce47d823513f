import { VeniceError } from '../../errors/venice-error.ts';
import { parseFeatureSuffix } from '../feature-suffix.ts';
import type { ModelEntry, ModelRegistry, ResolvedModel } from '../model-registry.ts';
import type { CharacterPersona } from '../character-service.ts';

/** Looks up the persona of a public character; rejects with 404 CHARACTER_NOT_FOUND for any other slug. */
export interface PersonaSource {
  persona(slug: string): Promise<CharacterPersona>;
}

/**
 * Resolves a chat request's model and its character (venice_parameters.character_slug, the body's winning over the
 * model suffix's; INVENTORY §8.3). The guide says to send the character's modelId "or choose a compatible model":
 * the request's model is used as given; only when it resolves to no model here (404 MODEL_NOT_FOUND, e.g. a hosted
 * Venice id) does the character's modelId serve instead, keeping the suffix's parameters; when that one does not
 * resolve either, the request's MODEL_NOT_FOUND stands. An unknown or private slug is 404 CHARACTER_NOT_FOUND.
 */
export async function resolveChatModel(
  registry: ModelRegistry,
  personas: PersonaSource | undefined,
  model: string,
  bodySlug: string | undefined,
): Promise<ResolvedModel & { character?: CharacterPersona }> {
  const colon = model.indexOf(':');
  const slug =
    bodySlug ??
    (colon === -1 ? undefined : parseFeatureSuffix(model.slice(colon + 1)).character_slug);
  if (slug === undefined) return registry.resolve(model, 'text');
  if (personas === undefined) throw new VeniceError('CHARACTER_NOT_FOUND');
  const character = await personas.persona(slug);
  try {
    return { ...registry.resolve(model, 'text'), character };
  } catch (error) {
    if (!(error instanceof VeniceError && error.code === 'MODEL_NOT_FOUND')) throw error;
    const entry = textModelOf(registry, character.modelId);
    if (entry === undefined) throw error;
    return {
      entry,
      suffixParameters: colon === -1 ? {} : parseFeatureSuffix(model.slice(colon + 1)),
      character,
    };
  }
}

function textModelOf(registry: ModelRegistry, modelId: string): ModelEntry | undefined {
  try {
    return registry.resolve(modelId, 'text').entry;
  } catch {
    return undefined;
  }
}
