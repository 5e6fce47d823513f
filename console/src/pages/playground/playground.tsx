import { useRef, useState, type KeyboardEvent } from 'react';
import { api } from '../../api.ts';
import type { List, Model } from '../../api-types.ts';
import { Card, PageHeader } from '../../components/page-header.tsx';
import { Loaded } from '../../components/states.tsx';
import { useResource } from '../../use-resource.ts';
import { ChatPlayground } from './chat.tsx';
import { ImagePlayground } from './image.tsx';
import { SpeechPlayground } from './speech.tsx';

const TABS = [
  { id: 'chat', label: 'Chat', type: 'text' },
  { id: 'image', label: 'Image', type: 'image' },
  { id: 'speech', label: 'Speech', type: 'tts' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** Chat, image generation and speech against this server, with the signed-in key (its usage is the account's). */
export function PlaygroundPage() {
  const [tab, setTab] = useState<TabId>('chat');
  const models = useResource((signal) => api<List<Model>>('/models?type=all', { signal }), []);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);

  // WAI-ARIA tabs: arrow keys move between tabs.
  const onKeyDown = (event: KeyboardEvent, index: number): void => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    const next = TABS[(index + step + TABS.length) % TABS.length]!;
    setTab(next.id);
    buttons.current[(index + step + TABS.length) % TABS.length]?.focus();
  };

  return (
    <>
      <PageHeader
        title="Playground"
        description="Try the models with your admin key; what you run here is billed and shows in Usage."
      />
      <div className="tabs" role="tablist" aria-label="Playground">
        {TABS.map((entry, index) => (
          <button
            key={entry.id}
            ref={(element) => {
              buttons.current[index] = element;
            }}
            type="button"
            role="tab"
            id={`tab-${entry.id}`}
            aria-controls={`panel-${entry.id}`}
            aria-selected={tab === entry.id}
            tabIndex={tab === entry.id ? 0 : -1}
            className="tab"
            onClick={() => setTab(entry.id)}
            onKeyDown={(event) => onKeyDown(event, index)}
          >
            {entry.label}
          </button>
        ))}
      </div>
      <Card className="playground-card">
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
          <Loaded resource={models} label="models">
            {({ data }) => {
              const of = (type: string): Model[] => data.filter((model) => model.type === type);
              if (tab === 'chat') return <ChatPlayground models={of('text')} />;
              if (tab === 'image') return <ImagePlayground models={of('image')} />;
              return <SpeechPlayground models={of('tts')} />;
            }}
          </Loaded>
        </div>
      </Card>
    </>
  );
}
