import { useState } from 'react';
import { api } from '../api.ts';
import type { UsageAnalytics, UsageSeries } from '../api-types.ts';
import { StackedBarChart } from '../components/bar-chart.tsx';
import { Card, PageHeader } from '../components/page-header.tsx';
import { Segmented } from '../components/segmented.tsx';
import { EmptyState, Loaded } from '../components/states.tsx';
import { compact, count, usd } from '../format.ts';
import { useResource } from '../use-resource.ts';
import { Stat } from './balances.tsx';
import { groupUsage, type GroupBy, type Metric } from './usage-groups.ts';

const RANGES = [
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
] as const;
const GROUPS = [
  { value: 'model', label: 'By model' },
  { value: 'key', label: 'By key' },
  { value: 'type', label: 'By type' },
] as const;
const METRICS = [
  { value: 'cost', label: 'Cost' },
  { value: 'tokens', label: 'Tokens' },
  { value: 'requests', label: 'Requests' },
] as const;

const formatters: Record<Metric, (value: number) => string> = {
  cost: (value) => (value === 0 ? '$0' : value < 0.01 ? `$${value.toPrecision(2)}` : usd(value)),
  tokens: compact,
  requests: compact,
};

/** GET /admin/usage (by day, key, model and type) and GET /billing/usage-analytics (the priced breakdown per model). */
export function UsagePage() {
  const [range, setRange] = useState<(typeof RANGES)[number]['value']>('7d');
  const [groupBy, setGroupBy] = useState<GroupBy>('model');
  const [metric, setMetric] = useState<Metric>('cost');
  const series = useResource(
    (signal) => api<UsageSeries>(`/admin/usage?lookback=${range}`, { signal }),
    [range],
  );
  const analytics = useResource(
    (signal) => api<UsageAnalytics>(`/billing/usage-analytics?lookback=${range}`, { signal }),
    [range],
  );

  return (
    <>
      <PageHeader
        title="Usage"
        description="Your account's requests, tokens and spend per day (UTC). Cost counts USD and DIEM together."
        actions={<Segmented label="Period" options={RANGES} value={range} onChange={setRange} />}
      />
      <Loaded resource={series} label="usage">
        {(report) => {
          const totals = report.data.reduce(
            (sum, row) => ({
              cost: sum.cost + row.usd + row.diem,
              requests: sum.requests + row.requests,
              failed: sum.failed + row.failed,
              tokens: sum.tokens + row.promptTokens + row.completionTokens,
            }),
            { cost: 0, requests: 0, failed: 0, tokens: 0 },
          );
          if (report.data.length === 0) {
            return (
              <Card>
                <EmptyState title="No usage in this period">
                  Requests made with this account's keys show up here as soon as they finish.
                </EmptyState>
              </Card>
            );
          }
          const grouped = groupUsage(report, groupBy, metric);
          const format = formatters[metric];
          const biggest = Math.max(
            ...grouped.totals.map((total) =>
              metric === 'cost'
                ? total.cost
                : metric === 'tokens'
                  ? total.promptTokens + total.completionTokens
                  : total.requests,
            ),
            0,
          );
          return (
            <>
              <div className="stats stats-cards">
                <Stat label="Spend" value={usd(totals.cost)} />
                <Stat label="Requests" value={count(totals.requests)} />
                <Stat label="Tokens" value={compact(totals.tokens)} />
                <Stat
                  label="Failed requests"
                  value={count(totals.failed)}
                  tone={totals.failed > 0 ? 'warning' : undefined}
                />
              </div>
              <Card
                title={`${METRICS.find((entry) => entry.value === metric)?.label ?? ''} per day`}
                actions={
                  <div className="toolbar">
                    <Segmented
                      label="Group"
                      options={GROUPS}
                      value={groupBy}
                      onChange={setGroupBy}
                    />
                    <Segmented
                      label="Metric"
                      options={METRICS}
                      value={metric}
                      onChange={setMetric}
                    />
                  </div>
                }
              >
                <StackedBarChart
                  dates={report.dates}
                  series={grouped.series}
                  format={format}
                  label={`${metric} per day, ${groupBy === 'type' ? 'by type' : `by ${groupBy}`}`}
                />
              </Card>
              <Card title={GROUPS.find((entry) => entry.value === groupBy)?.label ?? ''}>
                <div className="table-scroll">
                  <table className="table">
                    <thead>
                      <tr>
                        <th>{groupBy === 'key' ? 'Key' : groupBy === 'type' ? 'Type' : 'Model'}</th>
                        <th className="numeric">Requests</th>
                        <th className="numeric">Prompt tokens</th>
                        <th className="numeric">Completion tokens</th>
                        <th className="numeric">Cost</th>
                        <th className="share-column">
                          <span className="sr-only">Share</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {grouped.totals.map((total) => {
                        const value =
                          metric === 'cost'
                            ? total.cost
                            : metric === 'tokens'
                              ? total.promptTokens + total.completionTokens
                              : total.requests;
                        return (
                          <tr key={total.id}>
                            <td className="cell-title">{total.name}</td>
                            <td className="numeric">
                              {count(total.requests)}
                              {total.failed > 0 ? (
                                <span className="muted small"> ({total.failed} failed)</span>
                              ) : null}
                            </td>
                            <td className="numeric">{count(total.promptTokens)}</td>
                            <td className="numeric">{count(total.completionTokens)}</td>
                            <td className="numeric">{usd(total.cost)}</td>
                            <td className="share-column">
                              <span className="share-bar">
                                <span
                                  style={{
                                    width: `${biggest === 0 ? 0 : (value / biggest) * 100}%`,
                                  }}
                                />
                              </span>
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              </Card>
            </>
          );
        }}
      </Loaded>
      <Card title="Priced breakdown per model">
        <Loaded resource={analytics} label="the breakdown">
          {({ byModel }) =>
            byModel.length === 0 ? (
              <EmptyState title="Nothing charged in this period" />
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Model</th>
                      <th>Part</th>
                      <th className="numeric">Units</th>
                      <th className="numeric">USD</th>
                      <th className="numeric">DIEM</th>
                    </tr>
                  </thead>
                  <tbody>
                    {byModel.flatMap((model) => [
                      <tr key={model.modelName} className="group-row">
                        <td className="cell-title">{model.modelName}</td>
                        <td>All ({model.unitType})</td>
                        <td className="numeric">{count(model.totalUnits)}</td>
                        <td className="numeric">{usd(model.totalUsd)}</td>
                        <td className="numeric">{count(model.totalDiem)}</td>
                      </tr>,
                      ...(model.breakdown ?? []).map((part) => (
                        <tr key={`${model.modelName}-${part.type}`} className="sub-row">
                          <td />
                          <td>{part.type}</td>
                          <td className="numeric">{count(part.units)}</td>
                          <td className="numeric">{usd(part.usd)}</td>
                          <td className="numeric">{count(part.diem)}</td>
                        </tr>
                      )),
                    ])}
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
