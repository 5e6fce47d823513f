/** How far a JSON value may go: nesting depth, values in all, and entries in one object or array. */
export interface JsonBounds {
  /** Containers (objects, arrays) nested in one another; the value itself is level 1 when it is one. */
  depth: number;
  /** Values of every kind, containers included; Infinity for no bound. */
  nodes: number;
  /** Entries of one object or elements of one array; Infinity for no bound. */
  branching: number;
}

/** The first bound a value breaks, and where: `path` leads from the value to the container that broke it. */
export interface JsonBoundBreach {
  bound: keyof JsonBounds;
  path: (string | number)[];
}

interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

/**
 * Walks `value` with a stack of its own (no recursion, so a bomb nested 200,000 deep costs its size, not the
 * call stack) and stops at the first bound broken: nothing past it is read. `nodes` counts what was read.
 */
export function measureJson(
  value: unknown,
  bounds: JsonBounds,
): { breach?: JsonBoundBreach; nodes: number } {
  let nodes = 1;
  if (typeof value !== 'object' || value === null) return { nodes };
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > bounds.depth)
      return { breach: { bound: 'depth', path: pathOf(frame) }, nodes };
    const keys: (string | number)[] | undefined = Array.isArray(frame.value)
      ? undefined
      : Object.keys(frame.value);
    const items = frame.value as Record<string | number, unknown>;
    const length = keys?.length ?? (frame.value as unknown[]).length;
    if (length > bounds.branching)
      return { breach: { bound: 'branching', path: pathOf(frame) }, nodes };
    nodes += length;
    if (nodes > bounds.nodes) return { breach: { bound: 'nodes', path: [] }, nodes };
    for (let index = 0; index < length; index++) {
      const key = keys === undefined ? index : keys[index]!;
      const child = items[key];
      if (typeof child === 'object' && child !== null)
        stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
    }
  }
  return { nodes };
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Frame | undefined = frame; at?.parent !== undefined; at = at.parent)
    path.unshift(at.key);
  return path;
}
