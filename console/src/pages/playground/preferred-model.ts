import type { Model } from '../../api-types.ts';

/**
 * The model a playground tab starts on: one that can serve (model_spec.offline is the server's live health) and
 * carries the `default` trait, else any that can serve, else the first — so a dead upstream listed first is
 * never preselected over a healthy model.
 */
export function preferredModel(models: readonly Model[]): string {
  const serving = models.filter((model) => model.model_spec.offline !== true);
  const pick =
    serving.find((model) => model.model_spec.traits?.includes('default') === true) ??
    serving[0] ??
    models[0];
  return pick?.id ?? '';
}
