import { useCallback, useEffect, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  /** True while a load runs (the first one, or a reload: `data` keeps the last answer meanwhile). */
  loading: boolean;
  reload: () => void;
}

/** Loads `load` when `deps` change and on reload(); a load superseded or unmounted is aborted and ignored. */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps say when to load again; `load` is a new closure each render.
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) {
          setData(value);
          setError(undefined);
          setLoading(false);
        }
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setLoading(false);
      },
    );
    return () => controller.abort();
    // The caller's deps stand for `load`'s inputs (a new closure each render).
  }, [...deps, generation]);
  return { data, error, loading, reload };
}
