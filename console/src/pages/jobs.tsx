import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import type { Job, JobState } from '../api-types.ts';
import { Card, PageHeader } from '../components/page-header.tsx';
import { EmptyState, Loaded } from '../components/states.tsx';
import { bytes, relative, usd, when } from '../format.ts';
import { useResource } from '../use-resource.ts';

const STATES: JobState[] = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'DELETED'];
const TONES: Record<JobState, string> = {
  QUEUED: 'badge-muted',
  PROCESSING: 'badge-accent',
  COMPLETED: 'badge-good',
  FAILED: 'badge-danger',
  DELETED: '',
};
const REFRESH_MS = 3000;

type JobsAnswer = { counts: Partial<Record<JobState, number>>; data: Job[] };

/** GET /admin/jobs: video and music jobs of every account, refreshed while some are still running. */
export function JobsPage() {
  const [state, setState] = useState<JobState>();
  const jobs = useResource(
    (signal) =>
      api<JobsAnswer>(`/admin/jobs?limit=100${state === undefined ? '' : `&state=${state}`}`, {
        signal,
      }),
    [state],
  );
  const running = (jobs.data?.counts.QUEUED ?? 0) + (jobs.data?.counts.PROCESSING ?? 0);
  const { reload } = jobs;
  useEffect(() => {
    if (running === 0) return undefined;
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [running, reload]);

  const total = STATES.reduce((sum, name) => sum + (jobs.data?.counts[name] ?? 0), 0);
  return (
    <>
      <PageHeader
        title="Async jobs"
        description="Video and music generations queued through /video/queue and /audio/queue, newest first."
        actions={
          <button type="button" className="button" onClick={reload}>
            Refresh
          </button>
        }
      />
      <div className="filter-chips" role="group" aria-label="Filter by state">
        <button
          type="button"
          className="chip"
          aria-pressed={state === undefined}
          onClick={() => setState(undefined)}
        >
          All <span>{total}</span>
        </button>
        {STATES.map((name) => (
          <button
            key={name}
            type="button"
            className="chip"
            aria-pressed={state === name}
            onClick={() => setState(name)}
          >
            {name.charAt(0) + name.slice(1).toLowerCase()}{' '}
            <span>{jobs.data?.counts[name] ?? 0}</span>
          </button>
        ))}
      </div>
      <Card>
        <Loaded resource={jobs} label="jobs">
          {({ data }) =>
            data.length === 0 ? (
              <EmptyState
                title={state === undefined ? 'No jobs yet' : `No ${state.toLowerCase()} jobs`}
              >
                Jobs appear here once a client queues a video or music generation.
              </EmptyState>
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Job</th>
                      <th>State</th>
                      <th>Model</th>
                      <th className="numeric">Quote</th>
                      <th>Queued</th>
                      <th>Finished</th>
                      <th>Result</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((job) => (
                      <tr key={job.id}>
                        <td>
                          <div className="cell-title truncate" title={job.prompt ?? ''}>
                            {job.prompt ?? '(no prompt)'}
                          </div>
                          <code className="small">{job.id}</code>{' '}
                          <span className="muted small">
                            {job.kind} · {job.accountId}
                          </span>
                        </td>
                        <td>
                          <span className={`badge ${TONES[job.state]}`}>{job.state}</span>
                          {job.state === 'PROCESSING' && job.progress !== null ? (
                            <div
                              className="progress"
                              aria-label={`${Math.round(job.progress * 100)}% done`}
                            >
                              <span style={{ width: `${job.progress * 100}%` }} />
                            </div>
                          ) : null}
                          {job.attempts > 1 ? (
                            <div className="muted small">{job.attempts} attempts</div>
                          ) : null}
                        </td>
                        <td>
                          <code>{job.modelId}</code>
                        </td>
                        <td className="numeric">
                          {usd(job.quote)}
                          {job.refunded ? <div className="muted small">refunded</div> : null}
                        </td>
                        <td title={when(job.createdAt)}>{relative(job.createdAt)}</td>
                        <td>{when(job.completedAt)}</td>
                        <td>
                          {job.errorCode === null ? (
                            job.resultContentType === null ? (
                              '—'
                            ) : (
                              `${job.resultContentType}, ${bytes(job.resultBytes)}`
                            )
                          ) : (
                            <span className="text-danger small">
                              {job.errorCode}: {job.errorMessage}
                            </span>
                          )}
                        </td>
                      </tr>
                    ))}
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
