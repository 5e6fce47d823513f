import type { ResponsesStreamEvent } from '../../schemas/responses-events.ts';
import type { ResponseOutputItem } from '../../schemas/responses-response.ts';
import {
  functionCallItem,
  messageItem,
  newId,
  outputText,
  reasoningItem,
} from './response-object.ts';

export type ResponseEvent = ResponsesStreamEvent;

/** An event before its sequence_number (each member of the union on its own). */
type EventFields = ResponseEvent extends infer Event
  ? Event extends unknown
    ? Omit<Event, 'sequence_number'>
    : never
  : never;

interface OpenText {
  kind: 'reasoning' | 'message';
  id: string;
  index: number;
  text: string;
}

interface OpenCall {
  id: string;
  index: number;
  callId: string;
  name: string;
  arguments: string;
}

/**
 * Builds a response's output items from chat deltas and yields OpenAI's Responses stream events for them:
 * output_item.added, then the part and its deltas, then the .done events with the finished item. Reasoning
 * streams as reasoning_summary_text (the swagger's reasoning item carries it as its summary), text as
 * output_text, tool calls as function_call_arguments. Items close in output_index order: a reasoning or
 * message item closes when anything else starts; function calls (possibly several, interleaved) close
 * before the next text item, or at the end.
 */
export class OutputAssembler {
  /** Output items by output_index; placeholders until each one closes. */
  readonly items: ResponseOutputItem[] = [];
  /** Every reasoning delta, for the reasoning token count. */
  reasoning = '';
  private sequence = 0;
  private text: OpenText | undefined;
  private readonly calls = new Map<number, OpenCall>();
  private sawMessageOrCall = false;

  /** An event with the next sequence_number. */
  event(fields: EventFields): ResponseEvent {
    // type, then sequence_number, then the event's fields: the order OpenAI writes them in.
    return Object.assign({ type: fields.type, sequence_number: this.sequence++ }, fields);
  }

  *textDelta(kind: OpenText['kind'], delta: string): Generator<ResponseEvent> {
    if (delta === '') return;
    if (kind === 'reasoning') this.reasoning += delta;
    let open = this.text;
    if (open?.kind !== kind) {
      yield* this.closeText();
      yield* this.closeCalls();
      open = yield* this.openText(kind);
    }
    open.text += delta;
    yield kind === 'reasoning'
      ? this.event({
          type: 'response.reasoning_summary_text.delta',
          item_id: open.id,
          output_index: open.index,
          summary_index: 0,
          delta,
        })
      : this.event({
          type: 'response.output_text.delta',
          item_id: open.id,
          output_index: open.index,
          content_index: 0,
          delta,
          logprobs: [],
        });
  }

  *toolCallDelta(fragment: {
    index: number;
    id?: string | undefined;
    function?: { name?: string | undefined; arguments?: string | undefined } | undefined;
  }): Generator<ResponseEvent> {
    let call = this.calls.get(fragment.index);
    if (call === undefined) {
      yield* this.closeText();
      call = {
        id: newId('fc'),
        index: this.items.length,
        callId: fragment.id ?? '',
        name: fragment.function?.name ?? '',
        arguments: '',
      };
      this.calls.set(fragment.index, call);
      this.sawMessageOrCall = true;
      const item = this.place(
        call.index,
        functionCallItem(call.id, call.callId, call.name, '', 'in_progress'),
      );
      yield this.event({ type: 'response.output_item.added', output_index: call.index, item });
    }
    const delta = fragment.function?.arguments ?? '';
    if (delta === '') return;
    call.arguments += delta;
    yield this.event({
      type: 'response.function_call_arguments.delta',
      item_id: call.id,
      output_index: call.index,
      delta,
    });
  }

  /** Closes what is open; a response with neither text nor tool calls still gets its (empty) message. */
  *finish(): Generator<ResponseEvent> {
    yield* this.closeText();
    yield* this.closeCalls();
    if (this.sawMessageOrCall) return;
    yield* this.openText('message');
    yield* this.closeText();
  }

  private *openText(kind: OpenText['kind']): Generator<ResponseEvent, OpenText> {
    const open: OpenText = {
      kind,
      id: newId(kind === 'reasoning' ? 'rs' : 'msg'),
      index: this.items.length,
      text: '',
    };
    this.text = open;
    const at = { item_id: open.id, output_index: open.index };
    if (kind === 'reasoning') {
      const item = this.place(open.index, { type: 'reasoning', id: open.id, summary: [] });
      yield this.event({ type: 'response.output_item.added', output_index: open.index, item });
      yield this.event({
        type: 'response.reasoning_summary_part.added',
        ...at,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
    } else {
      this.sawMessageOrCall = true;
      const item = this.place(open.index, messageItem(open.id, [], 'in_progress'));
      yield this.event({ type: 'response.output_item.added', output_index: open.index, item });
      yield this.event({
        type: 'response.content_part.added',
        ...at,
        content_index: 0,
        part: outputText(''),
      });
    }
    return open;
  }

  private *closeText(): Generator<ResponseEvent> {
    const open = this.text;
    if (open === undefined) return;
    this.text = undefined;
    const at = { item_id: open.id, output_index: open.index };
    let item: ResponseOutputItem;
    if (open.kind === 'reasoning') {
      yield this.event({
        type: 'response.reasoning_summary_text.done',
        ...at,
        summary_index: 0,
        text: open.text,
      });
      yield this.event({
        type: 'response.reasoning_summary_part.done',
        ...at,
        summary_index: 0,
        part: { type: 'summary_text', text: open.text },
      });
      item = reasoningItem(open.id, open.text);
    } else {
      yield this.event({
        type: 'response.output_text.done',
        ...at,
        content_index: 0,
        text: open.text,
        logprobs: [],
      });
      yield this.event({
        type: 'response.content_part.done',
        ...at,
        content_index: 0,
        part: outputText(open.text),
      });
      item = messageItem(open.id, [outputText(open.text)], 'completed');
    }
    yield this.event({
      type: 'response.output_item.done',
      output_index: open.index,
      item: this.place(open.index, item),
    });
  }

  private *closeCalls(): Generator<ResponseEvent> {
    for (const call of this.calls.values()) {
      yield this.event({
        type: 'response.function_call_arguments.done',
        item_id: call.id,
        output_index: call.index,
        name: call.name,
        arguments: call.arguments,
      });
      const item = this.place(
        call.index,
        functionCallItem(call.id, call.callId, call.name, call.arguments, 'completed'),
      );
      yield this.event({ type: 'response.output_item.done', output_index: call.index, item });
    }
    this.calls.clear();
  }

  /** Sets the item at its output_index (a new one is the next index) and returns it. */
  private place(index: number, item: ResponseOutputItem): ResponseOutputItem {
    this.items[index] = item;
    return item;
  }
}
