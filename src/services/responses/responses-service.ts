import { VeniceError } from '../../errors/venice-error.ts';
import type { ResponseErrorFields } from '../../schemas/responses-events.ts';
import type { ResponsesResponse } from '../../schemas/responses-response.ts';
import type { ResponsesRequest } from '../../schemas/responses.ts';
import type { Billing } from '../billing/meter.ts';
import type { ChatOutcome, ChatService } from '../chat/chat-service.ts';
import { engineFor } from '../../engines/engine-for.ts';
import type { ModelRegistry } from '../model-registry.ts';
import { chatRequestOf } from './chat-request.ts';
import { chatCompletionView, readChatOutput } from './chat-views.ts';
import type { ResponseEvent } from './output-assembler.ts';
import { newId } from './response-object.ts';
import { responseEventsOfChunks, responseOfCompletion } from './response-translation.ts';
import { closingStream } from '../closing-stream.ts';

export type ResponsesResult =
  | (ChatOutcome & { kind: 'json'; body: ResponsesResponse })
  | (ChatOutcome & { kind: 'stream'; events: AsyncGenerator<ResponseEvent> });

// swagger: POST /responses description, "E2EE Model Limitation".
const E2EE =
  'E2EE-capable models are not supported on /api/v1/responses; use /api/v1/chat/completions with the required E2EE headers instead.';

/**
 * POST /responses, stateless, on the chat service: the request is translated into a chat completion, run
 * by ChatService.create (model resolution, validation, billing, engines) and translated back into a
 * `response` or OpenAI's Responses event stream. Errors before the first event are thrown as VeniceErrors.
 */
export class ResponsesService {
  constructor(
    private readonly chat: ChatService,
    private readonly registry: ModelRegistry,
  ) {}

  /** `errorFields` gives the fields of the `error` event of a stream that fails after its first event. */
  async create(
    request: ResponsesRequest,
    signal: AbortSignal,
    billing: Billing,
    errorFields: (error: unknown) => ResponseErrorFields,
  ): Promise<ResponsesResult> {
    this.refuseE2ee(request.model);
    const result = await this.chat.create(chatRequestOf(request), signal, billing);
    const { entry, servedBy } = result;
    const identity = {
      id: newId('resp'),
      createdAt: Math.floor(Date.now() / 1000),
      model: entry.config.id,
      request,
    };
    const count = (text: string): Promise<number> =>
      engineFor(entry, 'text').countTokens(entry.engineModel, text);
    if (result.kind === 'json') {
      return {
        kind: 'json',
        body: await responseOfCompletion(
          readChatOutput(chatCompletionView, result.body),
          identity,
          count,
        ),
        entry,
        servedBy,
      };
    }
    // Closing the events closes the chat's chunks, and with them the request's reservation (closing-stream.ts).
    const events = closingStream(
      responseEventsOfChunks(result.chunks, identity, count, errorFields),
      () => result.chunks.return(undefined),
    );
    return { kind: 'stream', events, entry, servedBy };
  }

  private refuseE2ee(model: string): void {
    let supportsE2ee = false;
    try {
      supportsE2ee = this.registry.resolve(model, 'text').entry.config.capabilities.supportsE2EE;
    } catch {
      return; // the chat service reports a model it cannot resolve (or serves a character's model instead)
    }
    if (supportsE2ee) throw new VeniceError('INVALID_REQUEST', { message: E2EE });
  }
}
