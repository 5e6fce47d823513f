import { api } from '../api.ts';
import type { EngineHealth, List, Model, Price } from '../api-types.ts';
import { Card, PageHeader } from '../components/page-header.tsx';
import { EmptyState, Loaded } from '../components/states.tsx';
import { compact, usd } from '../format.ts';
import { useResource } from '../use-resource.ts';

const isPrice = (value: unknown): value is Price =>
  typeof value === 'object' && value !== null && 'usd' in value && typeof value.usd === 'number';

/** The model's main prices, in the units the swagger gives them. */
function priceText(model: Model): string {
  const pricing = model.model_spec.pricing ?? {};
  const parts: string[] = [];
  const { input, output, generation, per_audio_second: perSecond } = pricing;
  if (model.type === 'tts' && isPrice(input)) parts.push(`${usd(input.usd)} / 1M chars`);
  else {
    if (isPrice(input)) parts.push(`in ${usd(input.usd)}`);
    if (isPrice(output)) parts.push(`out ${usd(output.usd)} / 1M tokens`);
  }
  if (isPrice(generation)) parts.push(`${usd(generation.usd)} / image`);
  if (isPrice(perSecond)) parts.push(`${usd(perSecond.usd)} / audio second`);
  if (model.type === 'video') parts.push('quoted per job');
  return parts.length === 0 ? '—' : parts.join(' · ');
}

/** GET /models?type=all (Venice) with GET /admin/engines (each model's engine, checked now). */
export function ModelsPage() {
  const models = useResource((signal) => api<List<Model>>('/models?type=all', { signal }), []);
  const engines = useResource(
    (signal) => api<List<EngineHealth>>('/admin/engines', { signal }),
    [],
  );
  const health = new Map((engines.data?.data ?? []).map((entry) => [entry.modelId, entry]));
  const healthy = engines.data?.data.filter((entry) => entry.healthy).length ?? 0;

  return (
    <>
      <PageHeader
        title="Models"
        description={
          engines.data === undefined
            ? 'The models this server serves and the engines behind them.'
            : `${healthy} of ${engines.data.data.length} engines healthy.`
        }
        actions={
          <button
            type="button"
            className="button"
            onClick={engines.reload}
            disabled={engines.loading}
          >
            {engines.loading ? 'Checking…' : 'Check engines again'}
          </button>
        }
      />
      <Card>
        <Loaded resource={models} label="models">
          {({ data }) =>
            data.length === 0 ? (
              <EmptyState title="No models configured">
                Add models to rialto.yaml, or pull a GGUF with <code>npx rialto pull</code>.
              </EmptyState>
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Model</th>
                      <th>Type</th>
                      <th>Engine</th>
                      <th>Health</th>
                      <th>Context</th>
                      <th>Price</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((model) => {
                      const engine = health.get(model.id);
                      const traits = model.model_spec.traits ?? [];
                      return (
                        <tr key={model.id}>
                          <td>
                            <div className="cell-title">{model.model_spec.name}</div>
                            <code className="small">{model.id}</code>
                            {traits.map((trait) => (
                              <span key={trait} className="badge badge-muted">
                                {trait}
                              </span>
                            ))}
                          </td>
                          <td>
                            <span className="badge">{model.type}</span>
                          </td>
                          <td>{engine?.engine ?? '—'}</td>
                          <td>
                            {engine === undefined ? (
                              <span className="muted">
                                {engines.error === undefined ? 'Checking…' : 'Unknown'}
                              </span>
                            ) : (
                              <>
                                <span
                                  className={`health ${engine.healthy ? 'health-ok' : 'health-down'}`}
                                >
                                  {engine.healthy ? 'Healthy' : 'Down'}
                                </span>
                                <div className="muted small">
                                  {engine.detail} · {engine.latencyMs} ms
                                </div>
                              </>
                            )}
                          </td>
                          <td>
                            {model.context_length === undefined
                              ? '—'
                              : `${compact(model.context_length)} tokens`}
                          </td>
                          <td className="small">{priceText(model)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
        {engines.error === undefined ? null : (
          <p className="inline-error" role="alert">
            Engine health could not be checked: {engines.error.message}
          </p>
        )}
      </Card>
    </>
  );
}
