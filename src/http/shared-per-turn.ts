/**
 * `read` with its calls for one id in one turn of the event loop sharing one call, made in the loop's check phase
 * (setImmediate): requests whose bytes arrived together (each socket's callback runs before the next one's) ask for
 * their account's balances once. Each caller gets the value read after it asked, never an earlier one, so a request
 * sent after a write committed (a credit, a settlement) still sees that write. A failed read fails every caller that
 * shared it, as it would have failed each of them.
 */
export function sharedPerTurn<Value>(
  read: (id: string) => Promise<Value>,
): (id: string) => Promise<Value> {
  const asked = new Map<string, Promise<Value>>();
  return (id) => {
    const shared = asked.get(id);
    if (shared !== undefined) return shared;
    const reading = new Promise<Value>((resolve) =>
      setImmediate(() => {
        // Callers from here on start the next read: they may have asked after a write this read would not see.
        asked.delete(id);
        resolve(read(id));
      }),
    );
    asked.set(id, reading);
    return reading;
  };
}
