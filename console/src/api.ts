import { storedKey } from './session.ts';

export const API_BASE = '/api/v1';
export const SIGNED_OUT_EVENT = 'rialto:signed-out';

/** A Venice error answer (or a network failure): `message` is what the server said. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Issue = { path?: unknown[]; message?: unknown };

/** The message of a Venice error body: `{error: "…"}`, the OpenAI-shaped `{error: {message}}`, plus validation issues. */
export function errorMessageOf(body: unknown, status: number): string {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const { error } = body;
    const base =
      typeof error === 'string'
        ? error
        : typeof error === 'object' &&
            error !== null &&
            'message' in error &&
            typeof error.message === 'string'
          ? error.message
          : `HTTP ${status}`;
    const issues = 'issues' in body && Array.isArray(body.issues) ? (body.issues as Issue[]) : [];
    const detail = issues
      .map(
        (issue) =>
          `${Array.isArray(issue.path) && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${String(issue.message)}`,
      )
      .join('; ');
    return detail === '' ? base : `${base} (${detail})`;
  }
  return `HTTP ${status}`;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Another key than the signed-in one (sign-in checks a key before storing it). */
  key?: string;
}

/** A fetch against /api/v1 with the admin key as Bearer; throws ApiError with the Venice message on non-2xx. */
export async function apiFetch(path: string, options: RequestOptions = {}): Promise<Response> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('Rialto could not be reached. Is the server running?', 0);
  }
  if (!response.ok) {
    // The signed-in key stopped working (revoked, expired): back to the sign-in page.
    if (response.status === 401 && options.key === undefined && key !== null)
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    throw new ApiError(errorMessageOf(body, response.status), response.status, body);
  }
  return response;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiFetch(path, options);
  return (await response.json()) as T;
}
