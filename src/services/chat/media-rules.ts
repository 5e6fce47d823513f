import type { ModelConfig } from '../../config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { ChatMessage, UserContentPart } from '../../schemas/chat.ts';

const MAX_VIDEOS = 3;

function invalid(message: string): VeniceError {
  return new VeniceError('INVALID_REQUEST', { message });
}

/**
 * The multimodal rules of swagger ChatCompletionRequest.messages (INVENTORY §2.2): models without
 * vision reject images; single-image vision models keep only the last image-bearing message's images;
 * multi-image models keep the most recent `maxImages`; audio and video only where declared, ≤ 3 videos.
 */
export function applyMediaRules(messages: ChatMessage[], config: ModelConfig): ChatMessage[] {
  const { capabilities } = config;
  const parts = messages.flatMap((message) =>
    message.role === 'user' && Array.isArray(message.content) ? message.content : [],
  );
  const count = (type: UserContentPart['type']): number =>
    parts.filter((part) => part.type === type).length;
  if (count('image_url') > 0 && !capabilities.supportsVision)
    throw invalid(`Model ${config.id} does not support image input`);
  if (count('input_audio') > 0 && !capabilities.supportsAudioInput)
    throw invalid(`Model ${config.id} does not support audio input`);
  if (count('video_url') > 0 && !capabilities.supportsVideoInput)
    throw invalid(`Model ${config.id} does not support video input`);
  if (count('video_url') > MAX_VIDEOS)
    throw invalid(`At most ${MAX_VIDEOS} videos are allowed per request`);
  // ChatService turns file parts into text before these rules (file-parts.ts); one left here was not read.
  if (count('file') > 0) throw invalid('File inputs are not supported here.');
  if (count('image_url') === 0) return messages;

  const keep = capabilities.supportsMultipleImages
    ? (capabilities.maxImages ?? 10)
    : Number.POSITIVE_INFINITY;
  const lastImageMessage = messages.findLastIndex(
    (message) =>
      message.role === 'user' &&
      Array.isArray(message.content) &&
      message.content.some((part) => part.type === 'image_url'),
  );
  let remaining = keep;
  // Walk from the newest message so the most recent images are the ones kept.
  return messages
    .map((message, index) => ({ message, index }))
    .reverse()
    .map(({ message, index }) => {
      if (message.role !== 'user' || !Array.isArray(message.content)) return message;
      const dropAll = !capabilities.supportsMultipleImages && index !== lastImageMessage;
      const content = [...message.content]
        .reverse()
        .filter((part) => {
          if (part.type !== 'image_url') return true;
          if (dropAll || remaining <= 0) return false;
          remaining -= 1;
          return true;
        })
        .reverse();
      return { ...message, content };
    })
    .reverse();
}
