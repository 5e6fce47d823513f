import { useState, type FormEvent } from 'react';
import { apiFetch } from '../../api.ts';
import type { Model } from '../../api-types.ts';
import { EmptyState, InlineError } from '../../components/states.tsx';
import { ModelSelect } from './model-select.tsx';
import { preferredModel } from './preferred-model.ts';

interface Generation {
  id: string;
  prompt: string;
  model: string;
  images: string[];
  format: string;
  seconds: number;
  blurred: boolean;
}

const SIZES = ['512x512', '768x768', '1024x1024', '1024x768', '768x1024'];

/** POST /image/generate (JSON, base64 images): the pictures, newest first, each downloadable. */
export function ImagePlayground({ models }: { models: Model[] }) {
  const [model, setModel] = useState(() => preferredModel(models));
  const [prompt, setPrompt] = useState('');
  const [negative, setNegative] = useState('');
  const [size, setSize] = useState('512x512');
  const [format, setFormat] = useState<'webp' | 'png' | 'jpeg'>('webp');
  const [variants, setVariants] = useState('1');
  const [seed, setSeed] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [generations, setGenerations] = useState<Generation[]>([]);

  const generate = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const [width, height] = size.split('x').map(Number);
    const started = performance.now();
    try {
      const response = await apiFetch('/image/generate', {
        method: 'POST',
        body: {
          model,
          prompt,
          format,
          width,
          height,
          variants: Number(variants),
          ...(negative.trim() === '' ? {} : { negative_prompt: negative }),
          ...(seed.trim() === '' ? {} : { seed: Number(seed) }),
        },
      });
      const answer = (await response.json()) as { id: string; images: string[] };
      setGenerations((previous) => [
        {
          id: answer.id,
          prompt,
          model,
          images: answer.images,
          format,
          seconds: (performance.now() - started) / 1000,
          blurred: response.headers.get('x-venice-is-blurred') === 'true',
        },
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
      <EmptyState title="No image model is served">
        Configure an automatic1111 or OpenAI-compatible image model in rialto.yaml.
      </EmptyState>
    );

  return (
    <div className="playground">
      <form
        className="playground-settings"
        onSubmit={(event) => void generate(event)}
        aria-label="Image settings"
      >
        <ModelSelect models={models} value={model} onChange={setModel} />
        <label className="field">
          <span>Prompt</span>
          <textarea
            required
            rows={4}
            value={prompt}
            onChange={(event) => setPrompt(event.target.value)}
            placeholder="A gondola on the Grand Canal at dawn, watercolor"
          />
        </label>
        <label className="field">
          <span>Negative prompt</span>
          <input
            value={negative}
            onChange={(event) => setNegative(event.target.value)}
            placeholder="Optional"
          />
        </label>
        <div className="field-row">
          <label className="field">
            <span>Size</span>
            <select value={size} onChange={(event) => setSize(event.target.value)}>
              {SIZES.map((entry) => (
                <option key={entry}>{entry}</option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Format</span>
            <select
              value={format}
              onChange={(event) =>
                setFormat(
                  event.target.value === 'png'
                    ? 'png'
                    : event.target.value === 'jpeg'
                      ? 'jpeg'
                      : 'webp',
                )
              }
            >
              <option value="webp">WebP</option>
              <option value="png">PNG</option>
              <option value="jpeg">JPEG</option>
            </select>
          </label>
        </div>
        <div className="field-row">
          <label className="field">
            <span>Images</span>
            <select value={variants} onChange={(event) => setVariants(event.target.value)}>
              {['1', '2', '3', '4'].map((value) => (
                <option key={value}>{value}</option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Seed</span>
            <input
              type="number"
              step="1"
              value={seed}
              onChange={(event) => setSeed(event.target.value)}
              placeholder="Random"
            />
          </label>
        </div>
        <InlineError error={error} />
        <button
          type="submit"
          className="button button-primary"
          disabled={busy || prompt.trim() === ''}
        >
          {busy ? 'Generating…' : 'Generate'}
        </button>
      </form>
      <section className="gallery" aria-label="Generated images" aria-busy={busy}>
        {generations.length === 0 ? (
          <p className="transcript-empty">
            {busy ? 'Generating…' : 'Images you generate appear here.'}
          </p>
        ) : (
          generations.map((generation) => (
            <figure key={generation.id} className="generation">
              <div className="generation-images">
                {generation.images.map((image, index) => {
                  const source = `data:image/${generation.format};base64,${image}`;
                  return (
                    <a
                      key={index}
                      href={source}
                      download={`${generation.id}-${index + 1}.${generation.format === 'jpeg' ? 'jpg' : generation.format}`}
                      title="Download"
                    >
                      <img
                        src={source}
                        alt={`${generation.prompt} (${index + 1})`}
                        data-testid="generated-image"
                      />
                    </a>
                  );
                })}
              </div>
              <figcaption>
                <strong>{generation.prompt}</strong>
                <span className="muted small">
                  {generation.model} · {generation.seconds.toFixed(1)} s
                  {generation.blurred ? ' · blurred by Safe Mode' : ''}
                </span>
              </figcaption>
            </figure>
          ))
        )}
      </section>
    </div>
  );
}
