// Lua run atomically by Redis for RedisRateLimiter. A window is a hash { used, id } that expires windowMs after
// its first take; `id` is a fresh random value per window so that settle can tell "my window" from a later one.
import type { Redis, Result } from 'ioredis';

/**
 * KEYS: requests window, tokens window. ARGV: requestLimit, tokenLimit (-1: none), cost, windowMs,
 * idForNewWindow, blocked (1/0). Reads both windows, decides exactly as admission.ts refusalOf does, and only
 * when admitted adds 1 and cost. Returns { verdict, requestsUsed, requestsTtlMs, tokensUsed, tokensTtlMs, tokensId }.
 */
const ADMIT = `
local requestLimit, tokenLimit = tonumber(ARGV[1]), tonumber(ARGV[2])
local cost, windowMs = tonumber(ARGV[3]), tonumber(ARGV[4])
local function read(key)
  local ttl = redis.call('PTTL', key)
  if ttl <= 0 then return 0, windowMs, '' end
  return tonumber(redis.call('HGET', key, 'used') or '0'), ttl, redis.call('HGET', key, 'id') or ''
end
local function take(key, amount)
  if redis.call('PTTL', key) <= 0 then
    redis.call('DEL', key)
    redis.call('HSET', key, 'used', amount, 'id', ARGV[5])
    redis.call('PEXPIRE', key, windowMs)
    return amount, windowMs, ARGV[5]
  end
  return redis.call('HINCRBY', key, 'used', amount), redis.call('PTTL', key), redis.call('HGET', key, 'id') or ''
end
local requests, requestsTtl = read(KEYS[1])
local tokens, tokensTtl, tokensId = 0, windowMs, ''
if tokenLimit >= 0 then tokens, tokensTtl, tokensId = read(KEYS[2]) end
local verdict = 'OK'
if ARGV[6] == '1' then verdict = 'FAILED_REQUESTS'
elseif requests + 1 > requestLimit then verdict = 'RPM'
elseif tokenLimit >= 0 and tokens + cost > tokenLimit then verdict = 'TPM' end
if verdict == 'OK' then
  requests, requestsTtl = take(KEYS[1], 1)
  if tokenLimit >= 0 then tokens, tokensTtl, tokensId = take(KEYS[2], cost) end
end
return {verdict, requests, requestsTtl, tokens, tokensTtl, tokensId}
`;

/**
 * KEYS: tokens window, settled marker. ARGV: windowId, unused, markerTtlMs. The marker (SET NX) makes settle
 * idempotent across replicas; the id check keeps tokens from flowing into a later window; min(used, unused)
 * keeps the count at or above zero. Returns the tokens given back, -1 if already settled, -2 if the window ended.
 */
const SETTLE = `
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[3], 'NX') then return -1 end
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return -2 end
local give = math.min(tonumber(redis.call('HGET', KEYS[1], 'used')), tonumber(ARGV[2]))
if give > 0 then redis.call('HINCRBY', KEYS[1], 'used', -give) end
return give
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rialtoRateLimitAdmit(
      ...args: [requestsKey: string, tokensKey: string, ...argv: (string | number)[]]
    ): Result<unknown, Context>;
    rialtoRateLimitSettle(
      ...args: [tokensKey: string, markerKey: string, ...argv: (string | number)[]]
    ): Result<unknown, Context>;
  }
}

/** Registers the scripts (EVALSHA, reloaded by ioredis on NOSCRIPT). Idempotent per client. */
export function defineRateLimitScripts(client: Redis): void {
  client.defineCommand('rialtoRateLimitAdmit', { numberOfKeys: 2, lua: ADMIT });
  client.defineCommand('rialtoRateLimitSettle', { numberOfKeys: 2, lua: SETTLE });
}

export interface AdmitReply {
  readonly verdict: 'OK' | 'RPM' | 'TPM' | 'FAILED_REQUESTS';
  readonly requestsUsed: number;
  readonly requestsTtlMs: number;
  readonly tokensUsed: number;
  readonly tokensTtlMs: number;
  readonly tokensWindowId: string;
}

export function parseAdmitReply(reply: unknown): AdmitReply {
  if (!Array.isArray(reply) || reply.length !== 6)
    throw new Error('rate limit admit: unexpected Redis reply');
  const [verdict, requestsUsed, requestsTtlMs, tokensUsed, tokensTtlMs, tokensWindowId]: unknown[] =
    reply;
  if (
    (verdict !== 'OK' && verdict !== 'RPM' && verdict !== 'TPM' && verdict !== 'FAILED_REQUESTS') ||
    typeof requestsUsed !== 'number' ||
    typeof requestsTtlMs !== 'number' ||
    typeof tokensUsed !== 'number' ||
    typeof tokensTtlMs !== 'number' ||
    typeof tokensWindowId !== 'string'
  ) {
    throw new Error('rate limit admit: unexpected Redis reply');
  }
  return { verdict, requestsUsed, requestsTtlMs, tokensUsed, tokensTtlMs, tokensWindowId };
}
