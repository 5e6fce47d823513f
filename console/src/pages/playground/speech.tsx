import { useEffect, useRef, useState, type FormEvent } from 'react';
import { apiFetch } from '../../api.ts';
import type { Model } from '../../api-types.ts';
import { EmptyState, InlineError } from '../../components/states.tsx';
import { bytes } from '../../format.ts';
import { ModelSelect } from './model-select.tsx';
import { preferredModel } from './preferred-model.ts';

interface Clip {
  url: string;
  text: string;
  voice: string;
  format: string;
  size: number;
}

/** POST /audio/speech: the audio plays as soon as it arrives; earlier clips stay playable. */
export function SpeechPlayground({ models }: { models: Model[] }) {
  const [model, setModel] = useState(() => preferredModel(models));
  const spec = models.find((entry) => entry.id === model)?.model_spec;
  const voices = spec?.voices ?? [];
  const formats = spec?.supported_formats ?? ['mp3'];
  const [voice, setVoice] = useState('');
  const [format, setFormat] = useState('');
  const [text, setText] = useState('Hello from Rialto, the Venice API on your own hardware.');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [clips, setClips] = useState<Clip[]>([]);

  // Object URLs hold the audio in memory until revoked: all of them go when the page does.
  const urls = useRef<string[]>([]);
  useEffect(
    () => () => {
      for (const url of urls.current) URL.revokeObjectURL(url);
    },
    [],
  );

  const speak = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const chosenVoice = voices.includes(voice) ? voice : voices[0];
    const chosenFormat = formats.includes(format)
      ? format
      : (spec?.default_format ?? formats[0] ?? 'mp3');
    try {
      const response = await apiFetch('/audio/speech', {
        method: 'POST',
        body: {
          model,
          input: text,
          response_format: chosenFormat,
          ...(chosenVoice === undefined ? {} : { voice: chosenVoice }),
        },
      });
      const audio = await response.blob();
      const url = URL.createObjectURL(audio);
      urls.current.push(url);
      setClips((previous) => [
        { url, text, voice: chosenVoice ?? 'default', format: chosenFormat, size: audio.size },
        ...previous,
      ]);
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    } finally {
      setBusy(false);
    }
  };

  if (models.length === 0)
    return (
      <EmptyState title="No speech model is served">
        Configure a tts model (espeak-ng needs no download) in rialto.yaml.
      </EmptyState>
    );

  return (
    <div className="playground">
      <form
        className="playground-settings"
        onSubmit={(event) => void speak(event)}
        aria-label="Speech settings"
      >
        <ModelSelect models={models} value={model} onChange={setModel} />
        <div className="field-row">
          <label className="field">
            <span>Voice</span>
            <select
              value={voices.includes(voice) ? voice : (voices[0] ?? '')}
              onChange={(event) => setVoice(event.target.value)}
              disabled={voices.length === 0}
            >
              {voices.map((entry) => (
                <option key={entry}>{entry}</option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Format</span>
            <select
              value={formats.includes(format) ? format : (spec?.default_format ?? formats[0] ?? '')}
              onChange={(event) => setFormat(event.target.value)}
            >
              {formats.map((entry) => (
                <option key={entry}>{entry}</option>
              ))}
            </select>
          </label>
        </div>
        <label className="field">
          <span>Text</span>
          <textarea
            required
            rows={6}
            maxLength={4096}
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
        </label>
        <InlineError error={error} />
        <button
          type="submit"
          className="button button-primary"
          disabled={busy || text.trim() === ''}
        >
          {busy ? 'Speaking…' : 'Speak'}
        </button>
      </form>
      <section className="gallery" aria-label="Audio clips">
        {clips.length === 0 ? (
          <p className="transcript-empty">
            {busy ? 'Synthesizing…' : 'Clips you synthesize play here.'}
          </p>
        ) : (
          clips.map((clip, index) => (
            <figure key={clip.url} className="clip">
              <figcaption>
                <strong>“{clip.text}”</strong>
                <span className="muted small">
                  {clip.voice} · {clip.format} · {bytes(clip.size)}
                </span>
              </figcaption>
              <audio controls autoPlay={index === 0} src={clip.url} data-testid="speech-audio" />
              <a className="button button-small" href={clip.url} download={`speech.${clip.format}`}>
                Download
              </a>
            </figure>
          ))
        )}
      </section>
    </div>
  );
}
