import { chatCompletionRequest } from '../../schemas/chat.ts';
import type { Billing } from '../billing/meter.ts';
import type { ChatService } from '../chat/chat-service.ts';
import type { ModelRegistry } from '../model-registry.ts';

/** Rewrites an image prompt (swagger: GenerateImageRequest.enhance_prompt; docs/guides/media/prompt-enhancement.mdx). */
export interface PromptEnhancer {
  /**
   * The rewritten prompt, at most `maxLength` characters, or undefined when no rewrite was produced. Fails
   * open: any failure (no text model, the model errs, the balance is short) gives undefined, never an error.
   */
  enhance(
    prompt: string,
    options: { safeMode: boolean; maxLength: number },
    signal: AbortSignal,
    billing: Billing,
  ): Promise<string | undefined>;
}

const INSTRUCTIONS = [
  'You rewrite prompts for a text-to-image model.',
  'Keep the subject and every detail the user gave; add concrete visual detail: medium, composition, lighting, colour, mood.',
  'Answer with the rewritten prompt only: one paragraph, no preamble, no quotes, at most 80 words.',
].join(' ');
const SAFE = 'Keep the result suitable for all audiences: no nudity, sexual content or gore.';

/**
 * Enhancement with the operator's default text model, through the chat service: the rewrite is a chat
 * request of its own, billed at the text model's token prices (Venice charges a flat $0.04 per applied
 * rewrite; Rialto charges what the rewrite costs on the model that made it).
 */
export class ChatPromptEnhancer implements PromptEnhancer {
  constructor(
    private readonly chat: ChatService,
    private readonly registry: ModelRegistry,
  ) {}

  async enhance(
    prompt: string,
    options: { safeMode: boolean; maxLength: number },
    signal: AbortSignal,
    billing: Billing,
  ): Promise<string | undefined> {
    const model = this.registry.traits('text').default;
    if (model === undefined) return undefined;
    try {
      const request = chatCompletionRequest.parse({
        model,
        messages: [
          { role: 'system', content: options.safeMode ? `${INSTRUCTIONS} ${SAFE}` : INSTRUCTIONS },
          { role: 'user', content: prompt },
        ],
        max_completion_tokens: 300,
        temperature: 0.7,
        venice_parameters: {
          include_venice_system_prompt: false,
          disable_thinking: true,
          strip_thinking_response: true,
        },
      });
      const result = await this.chat.create(request, signal, billing);
      if (result.kind !== 'json') return undefined;
      const choices = result.body.choices as { message?: { content?: unknown } }[] | undefined;
      const content = choices?.[0]?.message?.content;
      if (typeof content !== 'string') return undefined;
      const cleaned = content
        .replace(/<think>[\s\S]*?<\/think>/g, '')
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/^["'“]+|["'”]+$/g, '')
        .trim();
      return cleaned === '' ? undefined : cleaned.slice(0, options.maxLength);
    } catch {
      return undefined;
    }
  }
}
