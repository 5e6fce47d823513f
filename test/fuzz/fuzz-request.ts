// One generated request: what it sends (path, query, key, headers, body), whether the swagger accepts it, and
// how a counterexample prints (big strings and deep values abbreviated, enough to read and to replay by seed).
import fc from 'fast-check';
import { DeepValue } from './schema-mutator.ts';
import { FuzzFile } from './swagger-arbitraries.ts';
import { bodyAccepted, parametersAccepted } from './swagger-oracle.ts';
import type { Operation } from './swagger-operations.ts';

export type KeyKind = 'inference' | 'admin' | 'none' | 'bad';

export type FuzzBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; fields: Record<string, unknown> }
  /** Sent byte for byte; `accepted` says whether the swagger would take it. */
  | {
      kind: 'raw';
      contentType: string | undefined;
      bytes: Uint8Array;
      label: string;
      accepted: boolean;
    };

/** JSON text of a value that may hold DeepValues and FuzzFiles (base64). */
export function serialize(value: unknown): string {
  const deep: DeepValue[] = [];
  const text =
    JSON.stringify(value, (_key, item: unknown) => {
      if (!(item instanceof DeepValue)) return item;
      deep.push(item);
      return `\u0000deep${deep.length - 1}\u0000`;
    }) ?? '';
  return text.replace(/"\\u0000deep(\d+)\\u0000"/g, (_match, index: string) =>
    deep[Number(index)]!.text(),
  );
}

/** The wire form of a form field or query value: strings, files, and arrays of them for repeated names. */
export function toWire(value: unknown, nested = false): unknown {
  if (value instanceof FuzzFile || typeof value === 'string') return value;
  if (Array.isArray(value) && !nested) return value.map((item) => toWire(item, true));
  if (typeof value === 'object' && value !== null) return serialize(value);
  return String(value);
}

export interface FuzzRequestInit {
  operation: Operation;
  pathParameters: Record<string, string>;
  /** Query and header parameters as sent (strings, or arrays for repeated query names). */
  query: Record<string, unknown>;
  headers: Record<string, string>;
  key: KeyKind;
  body: FuzzBody;
  /** `valid`, or what the mutator broke. */
  mutation: string;
}

function abbreviate(text: string): string {
  return text.length <= 300 ? text : `${text.slice(0, 200)}… <${text.length} chars in all>`;
}

export class FuzzRequest {
  readonly operation: Operation;
  readonly pathParameters: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly key: KeyKind;
  readonly body: FuzzBody;
  readonly mutation: string;
  /** Whether the swagger accepts the parameters and the body (the key is judged apart). */
  readonly accepted: boolean;

  constructor(init: FuzzRequestInit) {
    this.operation = init.operation;
    this.pathParameters = init.pathParameters;
    this.query = init.query;
    this.headers = init.headers;
    this.key = init.key;
    this.body = init.body;
    this.mutation = init.mutation;
    this.accepted =
      parametersAccepted(init.operation, {
        ...init.pathParameters,
        ...init.query,
        ...init.headers,
      }) && this.bodyAccepted();
  }

  private bodyAccepted(): boolean {
    const { body, operation } = this;
    switch (body.kind) {
      case 'none':
        return !operation.bodyRequired;
      case 'raw':
        return body.accepted;
      case 'json':
        return bodyAccepted(operation, 'application/json', JSON.parse(serialize(body.value)));
      case 'form':
        return bodyAccepted(operation, 'multipart/form-data', body.fields);
    }
  }

  /** The path under /api/v1, with its query string. */
  path(): string {
    const path = this.operation.template.replace(/\{([^}]+)\}/g, (_match, name: string) =>
      encodeURIComponent(this.pathParameters[name] ?? ''),
    );
    const search = new URLSearchParams();
    for (const parameter of this.operation.parameters.filter((entry) => entry.in === 'query')) {
      const value = this.query[parameter.name];
      for (const item of value === undefined ? [] : Array.isArray(value) ? value : [value])
        search.append(parameter.name, String(item));
    }
    for (const [name, value] of Object.entries(this.query)) {
      if (!this.operation.parameters.some((entry) => entry.name === name))
        search.append(name, String(value));
    }
    const query = search.toString();
    return query === '' ? path : `${path}?${query}`;
  }

  /** fetch's init: method, headers (with the key) and body. */
  init(keys: Record<KeyKind, string | undefined>): RequestInit {
    const headers: Record<string, string> = { ...this.headers };
    const key = keys[this.key];
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    const { body } = this;
    let payload: string | FormData | Uint8Array | undefined;
    if (body.kind === 'json') {
      headers['content-type'] = 'application/json';
      payload = serialize(body.value);
    } else if (body.kind === 'form') {
      const form = new FormData();
      for (const [name, value] of Object.entries(body.fields)) {
        for (const item of Array.isArray(value) ? value : [value]) {
          if (item instanceof FuzzFile)
            form.append(name, new Blob([item.bytes], { type: item.contentType }), item.filename);
          else form.append(name, String(item));
        }
      }
      payload = form;
    } else if (body.kind === 'raw') {
      if (body.contentType !== undefined) headers['content-type'] = body.contentType;
      payload = body.bytes;
    }
    return {
      method: this.operation.method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    };
  }

  [fc.toStringMethod](): string {
    const lines = [
      `${this.operation.method} /api/v1${abbreviate(this.path())} — ${this.mutation} (${this.key} key; swagger ${this.accepted ? 'accepts' : 'refuses'} it)`,
    ];
    for (const [name, value] of Object.entries(this.headers))
      lines.push(`  ${name}: ${abbreviate(value)}`);
    const { body } = this;
    if (body.kind === 'json') lines.push(`  json: ${abbreviate(serialize(body.value))}`);
    if (body.kind === 'form') {
      for (const [name, value] of Object.entries(body.fields))
        lines.push(`  form ${name}: ${abbreviate(fc.stringify(value))}`);
    }
    if (body.kind === 'raw')
      lines.push(
        `  raw (${body.label}), content-type ${String(body.contentType)}: ${abbreviate(Buffer.from(body.bytes).toString('latin1'))}`,
      );
    return lines.join('\n');
  }
}
