import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { apiFetch } from '../../api.ts';
import type { Model } from '../../api-types.ts';
import { EmptyState } from '../../components/states.tsx';
import { count, usd } from '../../format.ts';
import { applyChunk, toMessages, type ChatTurn } from './chat-state.ts';
import { ModelSelect } from './model-select.tsx';
import { preferredModel } from './preferred-model.ts';
import { readSse } from './sse.ts';

const EXAMPLE_TOOLS = `[{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]`;

/** POST /chat/completions with stream: true, read chunk by chunk: the answer, its reasoning and tool calls as they come. */
export function ChatPlayground({ models }: { models: Model[] }) {
  const [model, setModel] = useState(() => preferredModel(models));
  const [system, setSystem] = useState('');
  const [temperature, setTemperature] = useState('0.7');
  const [maxTokens, setMaxTokens] = useState('512');
  const [tools, setTools] = useState('');
  const [input, setInput] = useState('');
  const [turns, setTurns] = useState<ChatTurn[]>([]);
  const [streaming, setStreaming] = useState<AbortController>();
  const transcript = useRef<HTMLDivElement>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll to the end whenever the turns change.
  useEffect(() => {
    transcript.current?.scrollTo({ top: transcript.current.scrollHeight });
  }, [turns]);

  const updateLast = (update: (turn: ChatTurn) => ChatTurn): void =>
    setTurns((previous) => [...previous.slice(0, -1), update(previous.at(-1)!)]);

  const send = async (event?: FormEvent): Promise<void> => {
    event?.preventDefault();
    if (input.trim() === '' || streaming !== undefined) return;
    let parsedTools: unknown;
    const answer: ChatTurn = {
      role: 'assistant',
      content: '',
      reasoning: '',
      toolCalls: [],
      model,
    };
    try {
      parsedTools = tools.trim() === '' ? undefined : JSON.parse(tools);
    } catch {
      setTurns((previous) => [...previous, { ...answer, error: 'The tools are not valid JSON.' }]);
      return;
    }
    const history = [
      ...turns,
      { role: 'user' as const, content: input, reasoning: '', toolCalls: [] },
    ];
    setTurns([...history, answer]);
    setInput('');
    const controller = new AbortController();
    setStreaming(controller);
    try {
      const response = await apiFetch('/chat/completions', {
        method: 'POST',
        signal: controller.signal,
        body: {
          model,
          messages: toMessages(system, history),
          stream: true,
          stream_options: { include_usage: true },
          temperature: Number(temperature),
          max_tokens: Number(maxTokens),
          ...(parsedTools === undefined ? {} : { tools: parsedTools }),
        },
      });
      for await (const chunk of readSse(response)) updateLast((turn) => applyChunk(turn, chunk));
    } catch (failure) {
      const aborted = failure instanceof DOMException && failure.name === 'AbortError';
      updateLast((turn) =>
        aborted
          ? { ...turn, finishReason: 'stopped' }
          : { ...turn, error: failure instanceof Error ? failure.message : String(failure) },
      );
    } finally {
      setStreaming(undefined);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  if (models.length === 0)
    return (
      <EmptyState title="No text model is served">
        Configure one in rialto.yaml to chat here.
      </EmptyState>
    );

  return (
    <div className="playground">
      <aside className="playground-settings" aria-label="Chat settings">
        <ModelSelect models={models} value={model} onChange={setModel} />
        <label className="field">
          <span>System prompt</span>
          <textarea
            rows={4}
            value={system}
            onChange={(event) => setSystem(event.target.value)}
            placeholder="Optional: added after the operator's system prompt"
          />
        </label>
        <div className="field-row">
          <label className="field">
            <span>Temperature</span>
            <input
              type="number"
              min="0"
              max="2"
              step="0.1"
              value={temperature}
              onChange={(event) => setTemperature(event.target.value)}
            />
          </label>
          <label className="field">
            <span>Max tokens</span>
            <input
              type="number"
              min="1"
              step="1"
              value={maxTokens}
              onChange={(event) => setMaxTokens(event.target.value)}
            />
          </label>
        </div>
        <details className="field">
          <summary>Tools (function calling)</summary>
          <textarea
            rows={6}
            className="mono"
            value={tools}
            onChange={(event) => setTools(event.target.value)}
            placeholder="[ … ] as in OpenAI's tools parameter"
            aria-label="Tools JSON"
          />
          <button
            type="button"
            className="button button-small"
            onClick={() => setTools(EXAMPLE_TOOLS)}
          >
            Insert an example
          </button>
        </details>
        <button
          type="button"
          className="button"
          onClick={() => setTurns([])}
          disabled={turns.length === 0 || streaming !== undefined}
        >
          Clear conversation
        </button>
      </aside>
      <section className="chat" aria-label="Conversation">
        <div
          className="transcript"
          ref={transcript}
          aria-live="polite"
          aria-busy={streaming !== undefined}
        >
          {turns.length === 0 ? (
            <p className="transcript-empty">
              Send a message to start. Answers stream in as the model writes them.
            </p>
          ) : (
            turns.map((turn, index) => (
              <Turn
                key={index}
                turn={turn}
                streaming={streaming !== undefined && index === turns.length - 1}
              />
            ))
          )}
        </div>
        <form className="composer" onSubmit={(event) => void send(event)}>
          <label className="sr-only" htmlFor="chat-input">
            Message
          </label>
          <textarea
            id="chat-input"
            rows={2}
            value={input}
            onChange={(event) => setInput(event.target.value)}
            onKeyDown={onKeyDown}
            placeholder="Message (Enter sends, Shift+Enter for a new line)"
          />
          {streaming === undefined ? (
            <button type="submit" className="button button-primary" disabled={input.trim() === ''}>
              Send
            </button>
          ) : (
            <button type="button" className="button" onClick={() => streaming.abort()}>
              Stop
            </button>
          )}
        </form>
      </section>
    </div>
  );
}

function Turn({ turn, streaming }: { turn: ChatTurn; streaming: boolean }) {
  if (turn.role === 'user')
    return (
      <div className="bubble bubble-user">
        <span className="sr-only">You: </span>
        {turn.content}
      </div>
    );
  const answer = turn.content.trimStart();
  return (
    <article className="bubble bubble-assistant" data-testid="assistant-message">
      <div className="bubble-meta">{turn.model}</div>
      {turn.reasoning === '' ? null : (
        <details className="reasoning" open>
          <summary>Reasoning</summary>
          <p>{turn.reasoning.trim()}</p>
        </details>
      )}
      {answer === '' && turn.toolCalls.length === 0 && turn.error === undefined && streaming ? (
        <span className="typing" aria-label="Generating">
          ●●●
        </span>
      ) : null}
      {/* Models that think often start their answer with blank lines after the reasoning. */}
      {answer === '' ? null : (
        <p className="answer" data-testid="answer">
          {answer}
          {streaming ? <span className="caret" aria-hidden="true" /> : null}
        </p>
      )}
      {turn.toolCalls.map((call, index) => (
        <div key={index} className="tool-call">
          <span className="badge badge-accent">tool call</span> <code>{call.name}</code>
          <pre>{call.arguments}</pre>
        </div>
      ))}
      {turn.error === undefined ? null : (
        <p className="inline-error chat-error" role="alert">
          {turn.error}
        </p>
      )}
      {turn.usage === undefined ? null : (
        <div className="bubble-meta">
          {count(turn.usage.promptTokens)} prompt + {count(turn.usage.completionTokens)} completion
          tokens{turn.usage.costUsd === null ? '' : ` · ${usd(turn.usage.costUsd)}`}
          {turn.finishReason === undefined ? '' : ` · ${turn.finishReason}`}
        </div>
      )}
    </article>
  );
}
