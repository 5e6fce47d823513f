import type { Dispatcher } from 'undici';
import type { z } from 'zod';

/** A request body and its Content-Type (JSON, or a multipart form). */
export interface UpstreamBody {
  payload: Buffer | string;
  contentType: string;
}

export function jsonBody(body: unknown): UpstreamBody {
  return { payload: JSON.stringify(body), contentType: 'application/json' };
}

/** JSON text as a value, or the text itself when it is not JSON (an error page, a plain-text answer). */
export function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The whole body, as parseAnswer reads it. */
export async function readAnswer(response: Dispatcher.ResponseData): Promise<unknown> {
  return parseAnswer(await response.body.text());
}

/** The fields `schema` declares of an upstream body, or undefined when the body does not have them. */
export function fieldsOf<T>(schema: z.ZodType<T>, body: unknown): T | undefined {
  const result = schema.safeParse(body);
  return result.success ? result.data : undefined;
}
