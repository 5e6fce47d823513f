/**
 * A test double of a ComfyUI server: a REAL HTTP + WebSocket server (node:http and `ws` on 127.0.0.1) speaking
 * ComfyUI's protocol, from comfyanonymous/ComfyUI server.py and execution.py:
 *  - POST /prompt {prompt, client_id, prompt_id?} → {prompt_id, number, node_errors: {}}; validate_prompt's 400
 *    {error: {type, message, details, extra_info}, node_errors: {id: {errors, dependent_outputs, class_type}}}
 *    (no prompt, an unknown class_type, no output node, a missing input, a file not in the input folder).
 *  - GET /ws?clientId=: `status` on connect, then for the client's prompts `execution_start`, `execution_cached`,
 *    `executing`, `progress`, `executed`, `execution_success` (and `executing` {node: null}), `execution_error`,
 *    `execution_interrupted`.
 *  - GET /history/{id} ({} until finished), POST /history {delete|clear}, GET /queue, POST /queue {delete|clear}, POST /interrupt ({prompt_id}
 *    interrupts only that prompt, as servers since 2025 do), POST /upload/image (multipart `image`),
 *    GET /view?filename&subfolder&type, GET /system_stats, GET /prompt; each also under /api, like server.py.
 * One prompt runs at a time, in submission order. Workflows really execute (test/support/comfyui-double-nodes.ts):
 * real PNG, MP4 and FLAC/MP3 bytes that depend on the inputs.
 *
 * Knobs: `stepMs` (each sampler step takes this long: slow runs), `paused` (prompts wait in the queue),
 * `refuse` (the next submissions answer this 400 body), `failNode` (this node id raises mid-run: execution_error), `noWebSocket`,
 * `restart()` (the server closes and reopens on its port: WebSocket clients lost, history and queue kept).
 * Records: `submitted`, `interrupts`, `deletions`, `uploads`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BUILT_IN_NODES, type DoubleNode, type NodeRun } from './comfyui-double-nodes.ts';

type Workflow = Record<string, { class_type?: unknown; inputs?: Record<string, unknown> }>;
interface QueueItem {
  number: number;
  promptId: string;
  clientId: string | undefined;
  prompt: Workflow;
  outputs: string[];
  interrupted: boolean;
}
class Interrupted extends Error {}

const MAX_BODY = 64 * 1024 * 1024;
const isLink = (value: unknown): value is [string, number] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  typeof value[1] === 'number';

export class ComfyUiDouble {
  /** e.g. http://127.0.0.1:41234 */
  url = '';
  port = 0;
  stepMs = 2;
  paused = false;
  refuse: { error: unknown; node_errors: unknown } | undefined;
  failNode: string | undefined;
  /** Refuse WebSocket upgrades (a proxy that does not pass them): clients must live on /history. */
  noWebSocket = false;
  readonly submitted: { promptId: string; clientId: string | undefined; prompt: Workflow }[] = [];
  readonly interrupts: { promptId: string | undefined; running: string | undefined }[] = [];
  readonly deletions: string[] = [];
  /** Prompt ids deleted from the history (POST /history {delete}). */
  readonly historyDeletions: string[] = [];
  readonly uploads: string[] = [];
  readonly history = new Map<string, Record<string, unknown>>();
  readonly pending: QueueItem[] = [];
  running: QueueItem | undefined;
  private readonly nodes: Record<string, DoubleNode>;
  private readonly inputs = new Map<string, Buffer>();
  private readonly files = new Map<string, Buffer>();
  private readonly sockets = new Map<string, WebSocket>();
  private readonly connections = new Set<Socket>();
  private readonly server = createServer(
    (request, response) => void this.handle(request, response),
  );
  private readonly webSockets = new WebSocketServer({ noServer: true });
  private number = 0;
  private fileCount = 0;

  constructor(nodes: Record<string, DoubleNode> = {}) {
    this.nodes = { ...BUILT_IN_NODES, ...nodes };
    this.server.on('connection', (socket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
    this.server.on('upgrade', (request, socket, head) => {
      const url = new URL(request.url ?? '/', 'http://double');
      if (this.noWebSocket || (url.pathname !== '/ws' && url.pathname !== '/api/ws'))
        return socket.destroy();
      this.webSockets.handleUpgrade(request, socket, head, (ws) => {
        const clientId = url.searchParams.get('clientId') ?? randomUUID().replaceAll('-', '');
        this.sockets.set(clientId, ws);
        ws.on('close', () => this.sockets.get(clientId) === ws && this.sockets.delete(clientId));
        this.send('status', { status: this.queueInfo(), sid: clientId }, clientId);
      });
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /** Closes every connection and WebSocket, stays down `downMs`, listens again on the same port; keeps its state. */
  async restart(downMs = 50): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
  }

  /** Stops and lets queued prompts die with it (the end of a test). */
  async close(): Promise<void> {
    this.paused = true;
    if (this.running !== undefined) this.running.interrupted = true;
    this.webSockets.close();
    await this.stop();
  }

  /** Releases `paused` prompts. */
  resume(): void {
    this.paused = false;
    void this.work();
  }

  private queueInfo(): { exec_info: { queue_remaining: number } } {
    return {
      exec_info: { queue_remaining: this.pending.length + (this.running === undefined ? 0 : 1) },
    };
  }

  private send(type: string, data: Record<string, unknown>, clientId: string | undefined): void {
    const targets =
      clientId === undefined ? [...this.sockets.values()] : [this.sockets.get(clientId)];
    for (const ws of targets)
      if (ws?.readyState === ws?.OPEN) ws?.send(JSON.stringify({ type, data }));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://double');
    const path = url.pathname.replace(/^\/api(?=\/)/, '');
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch {
      return void response.writeHead(413).end();
    }
    const route = `${request.method} ${path}`;
    if (route === 'GET /system_stats')
      return json(200, {
        system: { os: 'posix', comfyui_version: '0.3.double' },
        devices: [{ name: 'cpu', type: 'cpu' }],
      });
    if (route === 'GET /prompt') return json(200, this.queueInfo());
    if (route === 'GET /queue')
      return json(200, {
        queue_running: this.running === undefined ? [] : [itemRow(this.running)],
        queue_pending: this.pending.map(itemRow),
      });
    if (route === 'POST /queue') return this.deleteQueued(parseJson(body), response);
    if (route === 'POST /interrupt') {
      const promptId = stringField(parseJson(body), 'prompt_id');
      this.interrupts.push({ promptId, running: this.running?.promptId });
      if (
        this.running !== undefined &&
        (promptId === undefined || promptId === this.running.promptId)
      )
        this.running.interrupted = true;
      return void response.writeHead(200).end();
    }
    if (route === 'POST /history') {
      // server.py post_history: {clear: true} empties the history, {delete: [ids]} removes those entries.
      const fields = parseJson(body);
      const record = typeof fields === 'object' && fields !== null ? fields : {};
      if ('clear' in record && record.clear === true) this.history.clear();
      if ('delete' in record && Array.isArray(record.delete))
        for (const id of record.delete) {
          this.historyDeletions.push(String(id));
          this.history.delete(String(id));
        }
      return void response.writeHead(200).end();
    }
    if (request.method === 'GET' && path.startsWith('/history/')) {
      const promptId = decodeURIComponent(path.slice('/history/'.length));
      const entry = this.history.get(promptId);
      return json(200, entry === undefined ? {} : { [promptId]: entry });
    }
    if (route === 'POST /prompt') return this.submit(parseJson(body), json);
    if (route === 'POST /upload/image') return this.upload(request, body, json);
    if (route === 'GET /view') {
      const key = `${url.searchParams.get('type') ?? 'output'}/${url.searchParams.get('subfolder') ?? ''}/${url.searchParams.get('filename') ?? ''}`;
      const file = this.files.get(key);
      if (file === undefined) return void response.writeHead(404).end();
      return void response
        .writeHead(200, { 'content-type': contentTypeOf(key), 'content-length': file.length })
        .end(file);
    }
    response.writeHead(404).end();
  }

  private deleteQueued(body: unknown, response: ServerResponse): void {
    const fields =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (fields.clear === true) this.pending.splice(0);
    if (Array.isArray(fields.delete))
      for (const id of fields.delete) {
        this.deletions.push(String(id));
        const index = this.pending.findIndex((item) => item.promptId === id);
        if (index >= 0) this.pending.splice(index, 1);
      }
    response.writeHead(200).end();
  }

  private upload(
    request: IncomingMessage,
    body: Buffer,
    json: (status: number, body: unknown) => void,
  ): void {
    const parts = parseMultipart(body, String(request.headers['content-type'] ?? ''));
    const image = parts.find((part) => part.name === 'image' && part.filename !== undefined);
    if (image === undefined) return json(400, 'no image');
    const subfolder = parts.find((part) => part.name === 'subfolder')?.data.toString() ?? '';
    const name = image.filename!.replace(/[\\/]/g, '_');
    const key = subfolder === '' ? name : `${subfolder}/${name}`;
    this.inputs.set(key, image.data);
    this.files.set(`input/${subfolder}/${name}`, image.data);
    this.uploads.push(key);
    json(200, { name, subfolder, type: 'input' });
  }

  private submit(body: unknown, json: (status: number, body: unknown) => void): void {
    const fields =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const prompt = fields.prompt;
    if (typeof prompt !== 'object' || prompt === null || Array.isArray(prompt))
      return json(400, {
        error: problem('no_prompt', 'No prompt provided', 'No prompt provided'),
        node_errors: {},
      });
    if (this.refuse !== undefined) return json(400, this.refuse);
    const workflow = prompt as Workflow;
    const checked = this.validate(workflow);
    if ('error' in checked) return json(400, checked);
    const promptId = stringField(fields, 'prompt_id') ?? randomUUID();
    const clientId = stringField(fields, 'client_id');
    this.number += 1;
    this.submitted.push({ promptId, clientId, prompt: workflow });
    this.pending.push({
      number: this.number,
      promptId,
      clientId,
      prompt: workflow,
      outputs: checked.outputs,
      interrupted: false,
    });
    this.send('status', { status: this.queueInfo() }, undefined);
    json(200, { prompt_id: promptId, number: this.number, node_errors: {} });
    void this.work();
  }

  /** execution.py validate_prompt: class types exist, there is an output, each output's inputs are there and valid. */
  private validate(
    prompt: Workflow,
  ): { outputs: string[] } | { error: unknown; node_errors: unknown } {
    for (const [id, node] of Object.entries(prompt)) {
      if (typeof node?.class_type !== 'string')
        return {
          error: problem(
            'invalid_prompt',
            'Cannot execute because a node is missing the class_type property.',
            `Node ID '#${id}'`,
          ),
          node_errors: {},
        };
      if (this.nodes[node.class_type] === undefined)
        return {
          error: problem(
            'invalid_prompt',
            `Cannot execute because node ${node.class_type} does not exist.`,
            `Node ID '#${id}'`,
          ),
          node_errors: {},
        };
    }
    const outputs = Object.keys(prompt).filter(
      (id) => this.nodes[String(prompt[id]!.class_type)]!.output === true,
    );
    if (outputs.length === 0)
      return { error: problem('prompt_no_outputs', 'Prompt has no outputs', ''), node_errors: {} };
    const nodeErrors: Record<string, unknown> = {};
    for (const [id, node] of Object.entries(prompt)) {
      const kind = this.nodes[String(node.class_type)]!;
      const inputs = node.inputs ?? {};
      const errors = kind.inputs
        .filter((name) => inputs[name] === undefined)
        .map((name) => problem('required_input_missing', 'Required input is missing', name));
      for (const [name, value] of Object.entries(inputs))
        if (isLink(value) && prompt[value[0]] === undefined)
          errors.push(
            problem(
              'bad_linked_input',
              'Bad linked input, must be a length-2 list of [string, int]',
              name,
            ),
          );
      const bad = kind.check?.(inputs, (file) => this.inputs.has(file));
      if (bad !== undefined)
        errors.push(
          problem('value_not_in_list', bad.message, `${bad.input}: '${String(inputs[bad.input])}'`),
        );
      if (errors.length > 0)
        nodeErrors[id] = { errors, dependent_outputs: outputs, class_type: node.class_type };
    }
    if (Object.keys(nodeErrors).length > 0)
      return {
        error: problem('prompt_outputs_failed_validation', 'Prompt outputs failed validation', ''),
        node_errors: nodeErrors,
      };
    return { outputs };
  }

  private async work(): Promise<void> {
    while (!this.paused && this.running === undefined && this.pending.length > 0) {
      const item = this.pending.shift()!;
      this.running = item;
      try {
        await this.execute(item);
      } finally {
        this.running = undefined;
        this.send('status', { status: this.queueInfo() }, undefined);
      }
    }
  }

  private async execute(item: QueueItem): Promise<void> {
    const { promptId, clientId, prompt } = item;
    const messages: [string, Record<string, unknown>][] = [];
    const emit = (type: string, data: Record<string, unknown>, keep = true): void => {
      const full = { ...data, prompt_id: promptId };
      if (keep) messages.push([type, { ...full, timestamp: Date.now() }]);
      this.send(type, full, clientId);
    };
    emit('execution_start', {});
    emit('execution_cached', { nodes: [] });
    const results = new Map<string, unknown[]>();
    const outputs: Record<string, unknown> = {};
    const executed: string[] = [];
    let current = '';
    const evaluate = async (id: string): Promise<unknown[]> => {
      const done = results.get(id);
      if (done !== undefined) return done;
      const node = prompt[id]!;
      const inputs: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(node.inputs ?? {}))
        inputs[name] = isLink(value) ? (await evaluate(value[0]))[value[1]] : value;
      current = id;
      if (item.interrupted) throw new Interrupted();
      emit('executing', { node: id, display_node: id }, false);
      if (this.failNode === id) throw new Error(`double: node ${id} failed as configured`);
      const result = await this.nodes[String(node.class_type)]!.run(inputs, this.nodeRun(item, id));
      results.set(id, result.result ?? []);
      executed.push(id);
      if (result.ui !== undefined) {
        outputs[id] = result.ui;
        emit('executed', { node: id, display_node: id, output: result.ui }, false);
      }
      return result.result ?? [];
    };
    let status: Record<string, unknown>;
    try {
      for (const id of item.outputs) await evaluate(id);
      emit('execution_success', {});
      emit('executing', { node: null }, false);
      status = { status_str: 'success', completed: true, messages };
    } catch (error) {
      const node = {
        node_id: current,
        node_type: String(prompt[current]?.class_type ?? ''),
        executed,
      };
      if (error instanceof Interrupted) emit('execution_interrupted', node);
      else
        emit('execution_error', {
          ...node,
          exception_message: error instanceof Error ? error.message : String(error),
          exception_type: 'RuntimeError',
          traceback: [],
          current_inputs: {},
          current_outputs: {},
        });
      status = { status_str: 'error', completed: false, messages };
    }
    this.history.set(promptId, {
      prompt: itemRow(item),
      outputs,
      status,
      meta: {},
    });
  }

  private nodeRun(item: QueueItem, nodeId: string): NodeRun {
    return {
      step: async (value, max) => {
        if (item.interrupted) throw new Interrupted();
        this.send(
          'progress',
          { value, max, prompt_id: item.promptId, node: nodeId },
          item.clientId,
        );
        await new Promise((resolve) => setTimeout(resolve, this.stepMs));
        if (item.interrupted) throw new Interrupted();
      },
      save: (bytes, extension, prefix) => {
        this.fileCount += 1;
        const filename = `${prefix.replace(/[\\/]/g, '_')}_${String(this.fileCount).padStart(5, '0')}_.${extension}`;
        this.files.set(`output//${filename}`, bytes);
        return { filename, subfolder: '', type: 'output' };
      },
      input: (name) => this.inputs.get(name),
    };
  }
}

function itemRow(item: QueueItem): unknown[] {
  return [item.number, item.promptId, item.prompt, { client_id: item.clientId }, item.outputs];
}

function problem(type: string, message: string, details: string): Record<string, unknown> {
  return { type, message, details, extra_info: {} };
}

function stringField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString());
  } catch {
    return undefined;
  }
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.png')) return 'image/png';
  if (key.endsWith('.mp4')) return 'video/mp4';
  if (key.endsWith('.mp3')) return 'audio/mpeg';
  if (key.endsWith('.flac')) return 'audio/flac';
  return 'application/octet-stream';
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** multipart/form-data parts (RFC 7578): name, filename, bytes. */
function parseMultipart(
  body: Buffer,
  contentType: string,
): { name: string; filename?: string; data: Buffer }[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (boundary === null) return [];
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: { name: string; filename?: string; data: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString();
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    if (name !== undefined && split >= 0)
      parts.push({
        name,
        ...(filename === undefined ? {} : { filename }),
        data: part.subarray(split + 4),
      });
    start = next;
  }
  return parts;
}

/** A started double. */
export async function startComfyUiDouble(
  nodes: Record<string, DoubleNode> = {},
): Promise<ComfyUiDouble> {
  return new ComfyUiDouble(nodes).start();
}
