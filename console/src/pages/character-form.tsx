import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { InlineError } from '../components/states.tsx';

/** POST /characters (ADMIN): the required fields and the common optional ones. */
export function CharacterForm({
  models,
  onCreated,
  onCancel,
}: {
  models: string[];
  onCreated: () => void;
  onCancel: () => void;
}) {
  const [fields, setFields] = useState({
    slug: '',
    name: '',
    description: '',
    systemPrompt: '',
    modelId: models[0] ?? '',
    tags: '',
    isPublic: true,
  });
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const set = (name: keyof typeof fields, value: string | boolean): void =>
    setFields((previous) => ({ ...previous, [name]: value }));

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('/characters', {
        method: 'POST',
        body: {
          slug: fields.slug.trim(),
          name: fields.name.trim(),
          systemPrompt: fields.systemPrompt,
          modelId: fields.modelId.trim(),
          description: fields.description.trim() === '' ? null : fields.description.trim(),
          public: fields.isPublic,
          tags: fields.tags
            .split(',')
            .map((tag) => tag.trim().replace(/^#/, ''))
            .filter((tag) => tag !== ''),
        },
      });
      onCreated();
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)}>
      <div className="field-row">
        <label className="field">
          <span>Name</span>
          <input
            required
            maxLength={200}
            value={fields.name}
            onChange={(event) => set('name', event.target.value)}
            autoFocus
          />
        </label>
        <label className="field">
          <span>Slug</span>
          <input
            required
            pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,99}"
            value={fields.slug}
            onChange={(event) => set('slug', event.target.value)}
            placeholder="alan-watts"
          />
        </label>
      </div>
      <label className="field">
        <span>Description</span>
        <input
          value={fields.description}
          onChange={(event) => set('description', event.target.value)}
        />
      </label>
      <label className="field">
        <span>Persona (system prompt)</span>
        <textarea
          required
          rows={5}
          value={fields.systemPrompt}
          onChange={(event) => set('systemPrompt', event.target.value)}
          placeholder="You are …"
        />
      </label>
      <div className="field-row">
        <label className="field">
          <span>Model</span>
          <input
            required
            list="character-models"
            value={fields.modelId}
            onChange={(event) => set('modelId', event.target.value)}
          />
          <datalist id="character-models">
            {models.map((model) => (
              <option key={model} value={model} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Tags</span>
          <input
            value={fields.tags}
            onChange={(event) => set('tags', event.target.value)}
            placeholder="Philosophy, Zen"
          />
        </label>
      </div>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={fields.isPublic}
          onChange={(event) => set('isPublic', event.target.checked)}
        />{' '}
        Public: listed, and usable in chat by every key
      </label>
      <InlineError error={error} />
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create character'}
        </button>
      </div>
    </form>
  );
}
