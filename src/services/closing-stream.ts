/**
 * `source`, whose `close` runs exactly once: when it ends, when it throws, or when it is returned or thrown
 * into, whether or not it was ever started. A generator function cannot promise that: `return()` on one not
 * yet started completes it without running a line of it, so the `finally` of what it wraps (a metered
 * source settling its reservation, services/billing/metered-events.ts) never runs. A stream whose
 * headers could not be written, or whose caller gave up before the first chunk, is closed here all the same.
 */
export function closingStream<T>(
  source: AsyncGenerator<T>,
  close: () => Promise<unknown>,
): AsyncGenerator<T> {
  let closed: Promise<unknown> | undefined;
  const closeOnce = (): Promise<unknown> => (closed ??= close());
  // Promise callbacks rather than an async function: a relayed chunk passes here, and this adds one hop, not three.
  const finishing = <R>(step: Promise<IteratorResult<T, R>>): Promise<IteratorResult<T, R>> =>
    step.then(
      (result) => (result.done === true ? closeOnce().then(() => result) : result),
      (error: unknown) =>
        closeOnce().then(() => {
          throw error;
        }),
    );
  const stream: AsyncGenerator<T> = {
    next: (...value: [] | [unknown]) => finishing(source.next(...value)),
    return: async (value) => {
      try {
        return await source.return(value);
      } finally {
        await closeOnce();
      }
    },
    throw: (error: unknown) => finishing(source.throw(error)),
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
