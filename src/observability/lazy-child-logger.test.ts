import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { LazyChildLogger } from './lazy-child-logger.ts';

/** A pino logger at `level` with redaction, writing its lines to `lines`, and a count of the children made. */
function recordingLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level, redact: { paths: ['headers.authorization'], censor: '[redacted]' } },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  let children = 0;
  const parent: FastifyBaseLogger = {
    get level() {
      return logger.level;
    },
    set level(value: string) {
      logger.level = value;
    },
    fatal: logger.fatal.bind(logger),
    error: logger.error.bind(logger),
    warn: logger.warn.bind(logger),
    info: logger.info.bind(logger),
    debug: logger.debug.bind(logger),
    trace: logger.trace.bind(logger),
    silent: logger.silent.bind(logger),
    child: (bindings, options) => {
      children += 1;
      return logger.child(bindings, options);
    },
  };
  return { lines, parent, children: () => children };
}

describe('LazyChildLogger', () => {
  it('makes no child until something logs, then the same line the child would write', () => {
    const { lines, parent, children } = recordingLogger('info');
    const log = new LazyChildLogger(parent, { reqId: 'abc-RLT' }, {});
    assert.equal(log.level, 'info');
    assert.equal(children(), 0, 'no child for a request that logs nothing');
    log.warn({ headers: { authorization: 'Bearer secret' } }, 'could not count');
    log.info('second');
    assert.equal(children(), 1, 'one child, made once');
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.reqId, 'abc-RLT');
    assert.equal(lines[0]?.msg, 'could not count');
    assert.deepEqual(lines[0]?.headers, { authorization: '[redacted]' });
    assert.equal(lines[1]?.reqId, 'abc-RLT');
  });

  it("keeps the route's level: below it nothing is written", () => {
    const { lines, parent } = recordingLogger('info');
    const log = new LazyChildLogger(parent, { reqId: 'def-RLT' }, { level: 'error' });
    assert.equal(log.level, 'error');
    log.warn('dropped');
    log.error('kept');
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['kept'],
    );
  });
});
