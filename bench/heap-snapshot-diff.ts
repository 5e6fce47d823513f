/**
 * What the objects made between two V8 heap snapshots of one process weigh, per constructor, divided by a count
 * (bench:fanout with BENCH_HEAP_SNAPSHOT_DIR writes one before its measured streams open and one with all of them
 * open: their difference is what an open stream holds):
 *
 *   node --import tsx bench/heap-snapshot-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot STREAMS [rows]
 *
 * Prints the heap difference per stream, then rows of bytes and objects per stream by kind: a constructor's name
 * for objects, `closure NAME` for functions (self size, with their contexts apart), `(array)`, `(string)`, … for
 * V8's internal kinds. Self sizes: what each object itself takes, not what it retains.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Bytes and count per kind of node. */
function weigh(file: string): {
  kinds: Map<string, { count: number; bytes: number }>;
  total: number;
} {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [type, name, size] = ['type', 'name', 'self_size'].map((field) =>
    fields.indexOf(field),
  ) as [number, number, number];
  const kinds = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let index = 0; index < snapshot.nodes.length; index += fields.length) {
    const kind = types[snapshot.nodes[index + type]!]!;
    const label = snapshot.strings[snapshot.nodes[index + name]!]!.slice(0, 60);
    const key =
      kind === 'object' || kind === 'native'
        ? label
        : kind === 'closure'
          ? `closure ${label || '(anonymous)'}`
          : `(${kind})`;
    const bytes = snapshot.nodes[index + size]!;
    const entry = kinds.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += bytes;
    kinds.set(key, entry);
    total += bytes;
  }
  return { kinds, total };
}

const [beforeFile, afterFile, countArgument, rowsArgument] = process.argv.slice(2);
if (beforeFile === undefined || afterFile === undefined || countArgument === undefined) {
  process.stderr.write('usage: heap-snapshot-diff.ts BEFORE AFTER STREAMS [rows]\n');
  process.exit(2);
}
const count = Number(countArgument);
const before = weigh(beforeFile);
const after = weigh(afterFile);
const rows = [...after.kinds].map(([key, { count: objects, bytes }]) => {
  const earlier = before.kinds.get(key) ?? { count: 0, bytes: 0 };
  return {
    key,
    objects: (objects - earlier.count) / count,
    bytes: (bytes - earlier.bytes) / count,
  };
});
rows.sort((a, b) => b.bytes - a.bytes);
process.stdout.write(
  `heap per stream: ${((after.total - before.total) / count).toFixed(0)} bytes\n\n  bytes  objects  kind\n`,
);
for (const row of rows.slice(0, Number(rowsArgument ?? 40)))
  process.stdout.write(
    `${row.bytes.toFixed(0).padStart(7)}  ${row.objects.toFixed(2).padStart(7)}  ${row.key}\n`,
  );
