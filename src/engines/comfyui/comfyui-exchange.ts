import type { Dispatcher } from 'undici';
import type { UpstreamExchange } from '../upstream/request-with-failover.ts';
import type { UpstreamBody } from '../upstream/upstream-answer.ts';
import { upstreamError } from '../upstream/upstream-errors.ts';

/** One ComfyUI call as the upstream layer runs it (its timeouts, failover and error mapping): `read` takes the answer. */
export function comfyExchange<T>(
  method: 'GET' | 'POST',
  path: string,
  body: UpstreamBody | undefined,
  read: UpstreamExchange<T>['read'],
): UpstreamExchange<T> {
  return {
    kind: 'comfyui',
    method,
    path,
    ...(body === undefined ? {} : { body }),
    accept: '*/*',
    failure: upstreamError,
    read,
  };
}

/** Reads an answer whose body says nothing (/queue {delete}, /interrupt). */
export async function drain(response: Dispatcher.ResponseData): Promise<void> {
  await response.body.dump();
}
