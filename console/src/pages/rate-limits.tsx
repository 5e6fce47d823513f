import { api } from '../api.ts';
import type { Breach, RateLimitStatus } from '../api-types.ts';
import { Card, PageHeader } from '../components/page-header.tsx';
import { EmptyState, Loaded } from '../components/states.tsx';
import { count, relative, when } from '../format.ts';
import { useResource } from '../use-resource.ts';

const TYPE_LABELS: Record<string, string> = {
  RPM: 'Requests per minute',
  TPM: 'Tokens per minute',
  FAILED_REQUESTS: 'Too many failed requests',
};

/** GET /admin/rate-limits/log (every key's refusals) and GET /api_keys/rate_limits (the limits that apply per model). */
export function RateLimitsPage() {
  const log = useResource(
    (signal) => api<{ enabled: boolean; data: Breach[] }>('/admin/rate-limits/log', { signal }),
    [],
  );
  const limits = useResource(
    (signal) => api<{ data: RateLimitStatus }>('/api_keys/rate_limits', { signal }),
    [],
  );

  return (
    <>
      <PageHeader
        title="Rate limits"
        description="Requests Rialto refused because a key went over its model's limit, newest first (the last 50)."
        actions={
          <button
            type="button"
            className="button"
            onClick={() => {
              log.reload();
              limits.reload();
            }}
          >
            Refresh
          </button>
        }
      />
      <Card title="Breach log">
        <Loaded resource={log} label="the breach log">
          {({ enabled, data }) =>
            !enabled ? (
              <EmptyState title="Rate limiting is off">
                Set <code>rateLimits.enabled: true</code> in rialto.yaml to limit keys per model.
              </EmptyState>
            ) : data.length === 0 ? (
              <EmptyState title="No request has been refused">
                Refusals (HTTP 429) show up here with the key and model that hit the limit.
              </EmptyState>
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Key</th>
                      <th>Model</th>
                      <th>Limit</th>
                      <th>Tier</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((breach, index) => (
                      <tr key={`${breach.timestamp}-${index}`}>
                        <td title={when(breach.timestamp)}>
                          {relative(breach.timestamp)}
                          <div className="muted small">{when(breach.timestamp)}</div>
                        </td>
                        <td>
                          <div className="cell-title">{breach.keyDescription ?? 'Deleted key'}</div>
                          <code className="small">{breach.apiKeyId}</code>
                          {breach.accountId === null ? null : (
                            <span className="muted small"> · {breach.accountId}</span>
                          )}
                        </td>
                        <td>
                          <code>{breach.modelId}</code>
                        </td>
                        <td>
                          <span className="badge badge-warning">{breach.rateLimitType}</span>{' '}
                          <span className="muted small">
                            {TYPE_LABELS[breach.rateLimitType] ?? ''}
                          </span>
                        </td>
                        <td>{breach.rateLimitTier}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
      <Card title="Limits per model">
        <Loaded resource={limits} label="the limits">
          {({ data }) =>
            data.rateLimits.length === 0 ? (
              <EmptyState title="No models are served" />
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Model</th>
                      <th className="numeric">Requests / min</th>
                      <th className="numeric">Tokens / min</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.rateLimits.map((model) => {
                      const amount = (type: string): string => {
                        const limit = model.rateLimits.find((entry) => entry.type === type);
                        return limit === undefined ? '—' : count(limit.amount);
                      };
                      return (
                        <tr key={model.apiModelId}>
                          <td>
                            <code>{model.apiModelId}</code>
                          </td>
                          <td className="numeric">
                            {model.rateLimits.length === 0 ? 'Unlimited' : amount('RPM')}
                          </td>
                          <td className="numeric">{amount('TPM')}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
    </>
  );
}
