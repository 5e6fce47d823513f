import type { ChatMessage, UserContentPart } from '../../schemas/chat.ts';
import type { UrlFetcher } from '../media/url-fetcher.ts';
import { fetchRefused } from '../media/fetch-refusal.ts';

type MediaPart = Extract<UserContentPart, { type: 'image_url' | 'video_url' }>;

/** What each kind of part accepts (INVENTORY §2.2: video_url is mp4, mpeg, mov or webm). */
const KINDS = {
  image_url: { accept: ['image/'], noun: 'an image' },
  video_url: { accept: ['video/'], noun: 'a video' },
} as const;

/** Container signatures, for a server that sends no media type or application/octet-stream. */
const SIGNATURES: { type: string; offset: number; bytes: number[] }[] = [
  { type: 'image/png', offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47] },
  { type: 'image/jpeg', offset: 0, bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', offset: 0, bytes: [0x47, 0x49, 0x46, 0x38] },
  { type: 'image/webp', offset: 8, bytes: [0x57, 0x45, 0x42, 0x50] },
  { type: 'video/mp4', offset: 4, bytes: [0x66, 0x74, 0x79, 0x70] },
  { type: 'video/webm', offset: 0, bytes: [0x1a, 0x45, 0xdf, 0xa3] },
  { type: 'video/mpeg', offset: 0, bytes: [0x00, 0x00, 0x01, 0xba] },
];

function sniff(bytes: Buffer): string | undefined {
  return SIGNATURES.find(({ offset, bytes: signature }) =>
    signature.every((byte, index) => bytes[offset + index] === byte),
  )?.type;
}

function urlOf(part: MediaPart): string {
  return part.type === 'image_url' ? part.image_url.url : part.video_url.url;
}

function withUrl(part: MediaPart, url: string): MediaPart {
  return part.type === 'image_url'
    ? { ...part, image_url: { ...part.image_url, url } }
    : { ...part, video_url: { ...part.video_url, url } };
}

async function inline(
  part: MediaPart,
  fetcher: Pick<UrlFetcher, 'fetch'>,
  signal: AbortSignal,
): Promise<MediaPart> {
  const { accept, noun } = KINDS[part.type];
  const fetched = await fetcher.fetch(urlOf(part), { field: part.type, accept, signal });
  const { contentType } = fetched;
  const declared =
    contentType !== undefined && accept.some((prefix) => contentType.startsWith(prefix))
      ? contentType
      : undefined;
  const type = declared ?? sniff(fetched.bytes);
  if (type === undefined || !accept.some((prefix) => type.startsWith(prefix)))
    throw fetchRefused(part.type, `the URL does not serve ${noun}`);
  return withUrl(part, `data:${type};base64,${fetched.bytes.toString('base64')}`);
}

/**
 * The http(s) URLs of image_url and video_url parts, fetched by Rialto and handed to the engine as data: URLs. An
 * upstream that fetched them itself (vLLM does) would reach whatever its own network reaches, 169.254.169.254
 * included, past config.fetch's rules (issue #15.5); fetched here they get those rules: the address policy, the
 * size cap and the timeout, and a refusal is the client's 400. data: URLs pass unchanged; other schemes are
 * refused. Without a fetcher only data: URLs are accepted. The first refusal stops the other downloads.
 */
export async function inlineMediaUrls(
  messages: ChatMessage[],
  fetcher: Pick<UrlFetcher, 'fetch'> | undefined,
  signal: AbortSignal,
): Promise<ChatMessage[]> {
  const remote = (part: UserContentPart): part is MediaPart =>
    (part.type === 'image_url' || part.type === 'video_url') && !/^data:/i.test(urlOf(part));
  if (
    !messages.some(
      (message) =>
        message.role === 'user' && Array.isArray(message.content) && message.content.some(remote),
    )
  )
    return messages;
  const stop = new AbortController();
  const linked = AbortSignal.any([signal, stop.signal]);
  const resolved = (part: MediaPart): Promise<MediaPart> => {
    if (fetcher === undefined)
      return Promise.reject(fetchRefused(part.type, 'only data: URLs are accepted here'));
    return inline(part, fetcher, linked);
  };
  try {
    return await Promise.all(
      messages.map(async (message) => {
        if (message.role !== 'user' || !Array.isArray(message.content)) return message;
        const content = await Promise.all(
          message.content.map((part) => (remote(part) ? resolved(part) : part)),
        );
        return { ...message, content };
      }),
    );
  } finally {
    stop.abort();
  }
}
