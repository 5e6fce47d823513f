// unbzip2-stream 1.4 ships no types: a factory of a through stream (bzip2 in, decoded bytes out).
declare module 'unbzip2-stream' {
  import type { Duplex } from 'node:stream';
  function unbzip2Stream(): Duplex;
  export default unbzip2Stream;
}
