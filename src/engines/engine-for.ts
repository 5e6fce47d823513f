import { VeniceError } from '../errors/venice-error.ts';
import type { Engine } from './engine.ts';

/** What an engine serves: `engine.modality`. */
export type EngineModality = Engine['modality'];

/** The engine interface of a modality (`EngineOf<'text'>` is `TextEngine`). */
export type EngineOf<Modality extends EngineModality> = Extract<
  Engine,
  { readonly modality: Modality }
>;

function serves<Modality extends EngineModality>(
  engine: Engine,
  modality: Modality,
): engine is EngineOf<Modality> {
  return engine.modality === modality;
}

/**
 * The model's engine as the engine of `modality`. 400 INVALID_MODEL when it serves another: the error an endpoint
 * gives for a model of another type (`ModelRegistry.resolve`), which usually refuses it before this is reached.
 */
export function engineFor<Modality extends EngineModality>(
  entry: { readonly engine: Engine },
  modality: Modality,
): EngineOf<Modality> {
  const { engine } = entry;
  if (!serves(engine, modality)) throw new VeniceError('INVALID_MODEL');
  return engine;
}
