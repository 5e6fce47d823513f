/** Whether the package at `root` (a file: URL ending in /) has a build no source has changed since. */
export function buildIsCurrent(root: URL): boolean;
