/**
 * The soak's load (bench/soak.ts): a bounded mix against one Rialto, paced to a request rate by a few workers:
 * chat JSON and streams and embeddings on a priced upstream model, streams cut by the client after their first
 * chunk (a slow upstream model), key churn through the admin API (create, use, update, revoke, refused), the key's
 * own status; and, at a low rate of its own, streams on the embedded engine, every other one cut after a chunk.
 * Every answer is checked; anything unexpected is counted as an error (the first few are kept to show).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';

export interface SoakTarget {
  origin: string;
  adminKey: string;
  inferenceKey: string;
  /** The embedded engine's model id; no engine load when undefined. */
  engineModel: string | undefined;
}

export interface LoadSettings {
  /** Workers sending at once. */
  concurrency: number;
  /** Requests a second across the workers (a ceiling: a slow server gets fewer). */
  rps: number;
  /** Pause between two engine requests. */
  engineEveryMs: number;
}

const MESSAGES = [{ role: 'user', content: '#plain Say hello in five words.' }];

export class SoakLoad {
  /** Operations finished (an aborted stream counts once), by kind. */
  readonly done = new Map<string, number>();
  errors = 0;
  readonly firstErrors: string[] = [];
  readonly #agent = new Agent({ keepAliveTimeout: 4000 });
  readonly #running: Promise<void>[] = [];
  #stopped = false;
  #issued = 0;
  #started = 0;

  constructor(
    private readonly target: SoakTarget,
    private readonly settings: LoadSettings,
  ) {}

  get requests(): number {
    let total = 0;
    for (const count of this.done.values()) total += count;
    return total;
  }

  start(): void {
    this.#started = performance.now();
    for (let worker = 0; worker < this.settings.concurrency; worker += 1)
      this.#running.push(this.#work());
    if (this.target.engineModel !== undefined)
      this.#running.push(this.#engine(this.target.engineModel));
  }

  /** Stops sending, waits for what is in flight, closes the client's connections. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
    await this.#agent.close();
  }

  async #work(): Promise<void> {
    while (!this.#stopped) {
      const slot = this.#issued++;
      const wait = this.#started + (slot * 1000) / this.settings.rps - performance.now();
      if (wait > 0) await delay(wait);
      if (this.#stopped) return;
      const kind = (
        [
          'json',
          'json',
          'json',
          'stream',
          'stream',
          'stream',
          'embedding',
          'embedding',
          'abort',
          'churn',
          'status',
          'stream',
        ] as const
      )[slot % 12]!;
      await this.#run(kind, () => this.#operation(kind));
    }
  }

  async #engine(model: string): Promise<void> {
    for (let index = 0; !this.#stopped; index += 1) {
      const kind = index % 2 === 0 ? 'engine stream' : 'engine abort';
      await this.#run(kind, () =>
        index % 2 === 0
          ? this.#stream(model, this.target.inferenceKey)
          : this.#abortedStream(model),
      );
      await delay(this.settings.engineEveryMs);
    }
  }

  async #run(kind: string, operation: () => Promise<void>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      this.errors += 1;
      if (this.firstErrors.length < 10)
        this.firstErrors.push(`${kind}: ${(error as Error).message}`);
    }
    this.done.set(kind, (this.done.get(kind) ?? 0) + 1);
  }

  #operation(kind: 'json' | 'stream' | 'embedding' | 'abort' | 'churn' | 'status'): Promise<void> {
    const key = this.target.inferenceKey;
    switch (kind) {
      case 'json':
        return this.#chat('chat', key);
      case 'stream':
        return this.#stream('chat', key);
      case 'embedding':
        return this.#embedding();
      case 'abort':
        return this.#abortedStream('slow');
      case 'churn':
        return this.#churn();
      case 'status':
        return this.#expect('GET', '/api_keys/rate_limits', key, undefined, 200).then(
          () => undefined,
        );
    }
  }

  async #expect(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    key: string,
    body: unknown,
    status: number,
  ): Promise<string> {
    const response = await this.#agent.request({
      origin: this.target.origin,
      path: `/api/v1${path}`,
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.body.text();
    if (response.statusCode !== status)
      throw new Error(
        `${method} ${path}: ${response.statusCode} (expected ${status}) ${text.slice(0, 200)}`,
      );
    return text;
  }

  async #chat(model: string, key: string): Promise<void> {
    const body = JSON.parse(
      await this.#expect(
        'POST',
        '/chat/completions',
        key,
        { model, messages: MESSAGES, max_tokens: 16 },
        200,
      ),
    ) as { choices?: { message?: { content?: unknown } }[] };
    if (typeof body.choices?.[0]?.message?.content !== 'string')
      throw new Error('chat: no message content');
  }

  async #stream(model: string, key: string): Promise<void> {
    const text = await this.#expect(
      'POST',
      '/chat/completions',
      key,
      { model, messages: MESSAGES, max_tokens: 16, stream: true },
      200,
    );
    if (!text.trimEnd().endsWith('data: [DONE]') || text.includes('"error"'))
      throw new Error(`stream: did not end with [DONE]: ${text.slice(-200)}`);
  }

  async #embedding(): Promise<void> {
    const body = JSON.parse(
      await this.#expect(
        'POST',
        '/embeddings',
        this.target.inferenceKey,
        { model: 'embed', input: 'a soak of many small requests' },
        200,
      ),
    ) as { data?: { embedding?: unknown }[] };
    if (!Array.isArray(body.data?.[0]?.embedding)) throw new Error('embeddings: no vector');
  }

  /** A stream the client leaves after its first chunk (the server must end its side and settle it). */
  async #abortedStream(model: string): Promise<void> {
    const controller = new AbortController();
    const response = await this.#agent.request({
      origin: this.target.origin,
      path: '/api/v1/chat/completions',
      method: 'POST',
      signal: controller.signal,
      headers: {
        authorization: `Bearer ${this.target.inferenceKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model, messages: MESSAGES, max_tokens: 64, stream: true }),
    });
    if (response.statusCode !== 200)
      throw new Error(
        `aborted stream: ${response.statusCode} ${(await response.body.text()).slice(0, 200)}`,
      );
    try {
      for await (const chunk of response.body) {
        if ((chunk as Buffer).length > 0) break;
      }
    } finally {
      controller.abort();
    }
  }

  /** A key's life through the admin API: created, used, re-limited, used, revoked, then refused. */
  async #churn(): Promise<void> {
    const admin = this.target.adminKey;
    const created = JSON.parse(
      await this.#expect(
        'POST',
        '/api_keys',
        admin,
        { apiKeyType: 'INFERENCE', description: 'soak churn', consumptionLimit: { usd: 1 } },
        200,
      ),
    ) as { data: { id: string; apiKey: string } };
    const { id, apiKey } = created.data;
    await this.#chat('chat', apiKey);
    await this.#expect('PATCH', '/api_keys', admin, { id, consumptionLimit: { usd: 2 } }, 200);
    await this.#stream('chat', apiKey);
    await this.#expect('DELETE', `/api_keys?id=${id}`, admin, undefined, 200);
    await this.#expect('GET', '/api_keys/rate_limits', apiKey, undefined, 401);
  }
}
