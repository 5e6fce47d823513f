// The end of a multi-process test on shared PostgreSQL and Redis: the Rialto processes stopped (SIGTERM, then their
// exit), the run's Redis keys deleted, its PostgreSQL schema dropped, its temp folder removed.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { dropSchema } from './postgres-test-database.ts';

export async function tearDownReplicas(
  children: ChildProcess[],
  state: { redisPrefix: string; schema: string; directory: string },
): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }),
  );
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${state.redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await dropSchema(state.schema);
  rmSync(state.directory, { recursive: true, force: true });
}
