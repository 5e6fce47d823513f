import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The filters of a usage-history walk, fixed by its first request. */
export interface HistoryWalk {
  currency?: 'USD' | 'DIEM' | 'BUNDLED_CREDITS';
  /** Inclusive lower bound (ISO instant). */
  start?: string;
  /** Exclusive upper bound: the request's endTimestamp, else the time of the first page (the walk is a snapshot). */
  end: string;
  pageSize: number;
}

/** Where the next page starts: after the last record fully sent, skipping the entries already sent of the next. */
export interface WalkPosition {
  after?: { createdAt: string; id: string };
  partial?: { id: string; emitted: number };
}

const MAC_BYTES = 16;
const MAC_CHARS = 22; // base64url of 16 bytes

// Compact positional payload: [version, currency, start, end, pageSize, afterCreatedAt, afterId, partialId, emitted].
const payload = z.tuple([
  z.literal(1),
  z.enum(['USD', 'DIEM', 'BUNDLED_CREDITS']).nullable(),
  z.string().nullable(),
  z.string(),
  z.number().int().min(10).max(1000),
  z.string().nullable(),
  z.string().nullable(),
  z.string().nullable(),
  z.number().int().min(0),
]);

/**
 * The secret that signs cursors: $RIALTO_CURSOR_SECRET, else random per process. With the random secret a
 * cursor is valid only on the process that issued it and only until it restarts; replicas behind one load
 * balancer must share RIALTO_CURSOR_SECRET or a continuation landing on another replica is a 400.
 */
export function cursorSecret(environment: NodeJS.ProcessEnv = process.env): Buffer {
  const configured = environment.RIALTO_CURSOR_SECRET;
  return configured !== undefined && configured !== ''
    ? Buffer.from(configured, 'utf8')
    : randomBytes(32);
}

/**
 * Opaque, tamper-evident usage-history cursors (swagger: `^[A-Za-z0-9_-]+$`, ≤512): base64url of the walk and
 * position, followed by an HMAC-SHA256 (truncated to 128 bits) over the account id and that payload. A cursor
 * altered in any way, or presented by another account, fails the MAC and `decode` returns undefined.
 */
export class CursorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(accountId: string, walk: HistoryWalk, position: WalkPosition): string {
    const body = Buffer.from(
      JSON.stringify([
        1,
        walk.currency ?? null,
        walk.start ?? null,
        walk.end,
        walk.pageSize,
        position.after?.createdAt ?? null,
        position.after?.id ?? null,
        position.partial?.id ?? null,
        position.partial?.emitted ?? 0,
      ]),
    ).toString('base64url');
    return body + this.mac(accountId, body).toString('base64url');
  }

  decode(
    accountId: string,
    cursor: string,
  ): { walk: HistoryWalk; position: WalkPosition } | undefined {
    const body = cursor.slice(0, -MAC_CHARS);
    // Compared as text: base64url's last character carries unused bits, so decoding first would accept variants.
    const presented = Buffer.from(cursor.slice(-MAC_CHARS));
    const expected = Buffer.from(this.mac(accountId, body).toString('base64url'));
    if (
      body === '' ||
      presented.length !== expected.length ||
      !timingSafeEqual(presented, expected)
    )
      return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const result = payload.safeParse(parsed);
    if (!result.success) return undefined;
    const [, currency, start, end, pageSize, afterCreatedAt, afterId, partialId, emitted] =
      result.data;
    const walk: HistoryWalk = {
      end,
      pageSize,
      ...(currency === null ? {} : { currency }),
      ...(start === null ? {} : { start }),
    };
    const position: WalkPosition = {
      ...(afterCreatedAt === null || afterId === null
        ? {}
        : { after: { createdAt: afterCreatedAt, id: afterId } }),
      ...(partialId === null ? {} : { partial: { id: partialId, emitted } }),
    };
    return { walk, position };
  }

  private mac(accountId: string, body: string): Buffer {
    return createHmac('sha256', this.secret)
      .update(`${accountId}\n${body}`)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}
