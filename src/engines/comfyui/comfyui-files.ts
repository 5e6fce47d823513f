import type { Dispatcher } from 'undici';
import type { EngineCall } from '../engine.ts';
import { multipartForm } from '../openai-compatible/openai-image-form.ts';
import { requestEndpoint, unread } from '../upstream/request-with-failover.ts';
import { fieldsOf, readAnswer } from '../upstream/upstream-answer.ts';
import type { UpstreamEndpoint } from '../upstream/upstream-pool.ts';
import { unexpectedBody } from './comfyui-errors.ts';
import { comfyExchange } from './comfyui-exchange.ts';
import { type OutputFile, uploadAnswer } from './comfyui-wire.ts';

/** A media file to upload for a LoadImage-style node (images, and video or audio for the loaders that read `input/`). */
export interface InputFile {
  bytes: Buffer;
  filename: string;
  contentType: string;
}

/** The most bytes one output file may have (a 4K image, a minute of video), read with this cap. */
export const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

/** POST /upload/image (multipart `image`, overwrite): the name a LoadImage node takes ("subfolder/name"). */
export async function uploadInput(
  endpoint: UpstreamEndpoint,
  file: InputFile,
  call: EngineCall,
): Promise<string> {
  const form = multipartForm([
    ['image', file],
    ['type', 'input'],
    ['overwrite', 'true'],
  ]);
  const uploaded = await requestEndpoint(
    endpoint,
    comfyExchange('POST', '/upload/image', form, async (response) => {
      const answer = fieldsOf(uploadAnswer, await readAnswer(response));
      if (answer === undefined) throw unexpectedBody(endpoint.label, '/upload/image answer');
      return answer;
    }),
    call,
  );
  return uploaded.subfolder === '' ? uploaded.name : `${uploaded.subfolder}/${uploaded.name}`;
}

/** GET /view for one output file, its body unread (a video streams on), with its Content-Type. */
export async function viewOutputStream(
  endpoint: UpstreamEndpoint,
  file: OutputFile,
  call: EngineCall,
): Promise<{ body: Dispatcher.ResponseData['body']; contentType: string }> {
  const query = new URLSearchParams({
    filename: file.filename,
    subfolder: file.subfolder,
    type: file.type,
  });
  const response = await requestEndpoint(
    endpoint,
    comfyExchange('GET', `/view?${query.toString()}`, undefined, unread),
    call,
  );
  const type = response.headers['content-type'];
  return {
    body: response.body,
    contentType: typeof type === 'string' ? type : 'application/octet-stream',
  };
}

/** An output file's bytes, at most `maxBytes` (more is the upstream's failure, not a crash). */
export async function viewOutput(
  endpoint: UpstreamEndpoint,
  file: OutputFile,
  call: EngineCall,
  maxBytes = MAX_OUTPUT_BYTES,
): Promise<Buffer> {
  const { body } = await viewOutputStream(endpoint, file, call);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw unexpectedBody(endpoint.label, `output larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
