import { engineFor } from '../../engines/engine-for.ts';
import type { ModelEntry, ModelRegistry } from '../../services/model-registry.ts';
import type { JobService } from '../../services/jobs/job-service.ts';

type JobKind = Parameters<JobService['queue']>[0];

/**
 * The model a job request names, of the endpoint's type (video or music): 404 MODEL_NOT_FOUND when unknown,
 * 400 INVALID_MODEL when it is of another type or its engine does not run jobs.
 */
export function jobModelOf(registry: ModelRegistry, model: string, kind: JobKind): ModelEntry {
  const { entry } = registry.resolve(model, kind);
  engineFor(entry, 'job');
  return entry;
}
