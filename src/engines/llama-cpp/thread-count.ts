import { availableParallelism } from 'node:os';

/**
 * The automatic llama.cpp thread count: half the logical CPUs, at least 1. llama.cpp's matrix code
 * runs best on physical cores, which are usually half the logical ones (SMT); and oversubscribing is
 * catastrophic: on this project's 2-vCPU machines 1 thread generated ~6× faster than 2, and the
 * library default of 4 ~400× slower (issue #3), because the event loop and the OS need a core too.
 */
export function automaticThreadCount(logicalCpus = availableParallelism()): number {
  return Math.max(1, Math.floor(logicalCpus / 2));
}
