import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import type { ListModelsResponse } from '../../schemas/models-response.ts';
import { listModelsQuery, modelMapQuery } from '../../schemas/models.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';

/** GET /models, /models/traits, /models/compatibility_mapping: public (swagger security [{}, BearerAuth]). */
export function registerModelRoutes(app: FastifyInstance, registry: ModelRegistry): void {
  app.get('/models', async (request): Promise<ListModelsResponse> => {
    const { type } = parseOrThrow(listModelsQuery, request.query);
    return {
      object: 'list',
      type,
      data: registry.list(type).map((entry) => registry.toModelResponse(entry)),
    };
  });
  app.get('/models/traits', async (request) => {
    const { type } = parseOrThrow(modelMapQuery, request.query);
    return { object: 'list', type, data: registry.traits(type) };
  });
  app.get('/models/compatibility_mapping', async (request) => {
    const { type } = parseOrThrow(modelMapQuery, request.query);
    return { object: 'list', type, data: registry.compatibilityMapping(type) };
  });
}
