import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A real HTTP server on 127.0.0.1 for the pull tests: serves one file with Range support and
// Hugging Face-style headers, and can misbehave on demand. Test support only.

export interface ModelFileServerSettings {
  // Cut the connection after this many body bytes; applies to the next response only.
  cutAfterBytes: number | null;
  // Answer every request with the whole file (200), as servers without range support do.
  ignoreRange: boolean;
  // Sent as X-Linked-Etag (quoted); null sends none.
  linkedEtag: string | null;
  // Answer 401 unless `Authorization: Bearer <requireToken>` is sent.
  requireToken: string | null;
  // When set, `/<owner>/<repo>/resolve/<revision>/...` answers with a 302 to `<redirectBase>/files/<name>`,
  // carrying X-Linked-Etag and X-Linked-Size, like huggingface.co does for LFS files.
  redirectBase: string | null;
}

export interface RecordedRequest {
  path: string;
  range: string | undefined;
  authorization: string | undefined;
}

export interface ModelFileServer {
  url: string;
  data: Buffer;
  sha256: string;
  settings: ModelFileServerSettings;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startModelFileServer(data: Buffer): Promise<ModelFileServer> {
  const sha256 = createHash('sha256').update(data).digest('hex');
  const settings: ModelFileServerSettings = {
    cutAfterBytes: null,
    ignoreRange: false,
    linkedEtag: sha256,
    requireToken: null,
    redirectBase: null,
  };
  const requests: RecordedRequest[] = [];
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = request.url ?? '/';
    requests.push({
      path,
      range: request.headers.range,
      authorization: request.headers.authorization,
    });
    if (
      settings.requireToken !== null &&
      request.headers.authorization !== `Bearer ${settings.requireToken}`
    ) {
      response.writeHead(401).end('unauthorized');
      return;
    }
    const headers: Record<string, string> = { 'accept-ranges': 'bytes', etag: '"not-a-sha256"' };
    if (settings.linkedEtag !== null) headers['x-linked-etag'] = `"${settings.linkedEtag}"`;
    if (settings.redirectBase !== null && path.includes('/resolve/')) {
      const name = path.split('/').pop() ?? '';
      headers['location'] = `${settings.redirectBase}/files/${name}`;
      headers['x-linked-size'] = String(data.length);
      response.writeHead(302, headers).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    let status = 200;
    let body = data;
    if (range !== null && !settings.ignoreRange) {
      const start = Number(range[1]);
      const end =
        range[2] === '' || range[2] === undefined
          ? data.length - 1
          : Math.min(Number(range[2]), data.length - 1);
      if (start >= data.length || start > end) {
        response.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      status = 206;
      body = data.subarray(start, end + 1);
      headers['content-range'] = `bytes ${start}-${end}/${data.length}`;
    }
    headers['content-length'] = String(body.length);
    response.writeHead(status, headers);
    const cut = settings.cutAfterBytes;
    if (cut === null || cut >= body.length) {
      response.end(body);
      return;
    }
    settings.cutAfterBytes = null;
    // Destroy only once the bytes were handed to the socket, so the client really gets them.
    response.write(body.subarray(0, cut), () => response.socket?.destroy());
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    data,
    sha256,
    settings,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
