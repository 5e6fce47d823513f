import type { ReactNode } from 'react';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** The error a page shows when a call failed: the server's message and a way to try again. */
export function ErrorState({
  error,
  onRetry,
  title = 'Something went wrong',
}: {
  error: Error;
  onRetry?: () => void;
  title?: string;
}) {
  return (
    <div className="state error-state" role="alert">
      <strong>{title}</strong>
      <p>{error.message}</p>
      {onRetry === undefined ? null : (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="state empty-state">
      <svg viewBox="0 0 48 48" width="40" height="40" aria-hidden="true">
        <rect
          x="6"
          y="10"
          width="36"
          height="28"
          rx="4"
          fill="none"
          stroke="currentColor"
          strokeWidth="2.5"
        />
        <path d="M6 20h36" stroke="currentColor" strokeWidth="2.5" />
      </svg>
      <strong>{title}</strong>
      {children === undefined ? null : <p>{children}</p>}
      {action}
    </div>
  );
}

/** An error inline in a form or panel (the action failed; the page itself is fine). */
export function InlineError({ error }: { error: Error | undefined }) {
  return error === undefined ? null : (
    <p className="inline-error" role="alert">
      {error.message}
    </p>
  );
}

/** The three states of a load: loading (first time), failed (with retry), or the data (kept while reloading). */
export function Loaded<T>({
  resource,
  label,
  children,
}: {
  resource: { data: T | undefined; error: Error | undefined; reload: () => void };
  label: string;
  children: (data: T) => ReactNode;
}) {
  if (resource.error !== undefined)
    return (
      <ErrorState
        error={resource.error}
        onRetry={resource.reload}
        title={`Could not load ${label}`}
      />
    );
  if (resource.data === undefined) return <Loading label={`Loading ${label}…`} />;
  return <>{children(resource.data)}</>;
}
