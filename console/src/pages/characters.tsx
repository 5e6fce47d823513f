import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import type { Character, List, Model } from '../api-types.ts';
import { Dialog } from '../components/dialog.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { EmptyState, InlineError, Loaded } from '../components/states.tsx';
import { count, when } from '../format.ts';
import { useResource } from '../use-resource.ts';
import { CharacterForm } from './character-form.tsx';

/** GET /characters (Venice: public characters) with Rialto's admin POST and DELETE /characters/{slug}. */
export function CharactersPage() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const characters = useResource(
    (signal) =>
      api<List<Character>>(
        `/characters?limit=100${query === '' ? '' : `&search=${encodeURIComponent(query)}`}`,
        { signal },
      ),
    [query],
  );
  const models = useResource((signal) => api<List<Model>>('/models?type=text', { signal }), []);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Character>();

  const submitSearch = (event: FormEvent): void => {
    event.preventDefault();
    setQuery(search.trim());
  };

  return (
    <>
      <PageHeader
        title="Characters"
        description="Personas a chat applies with venice_parameters.character_slug. Public characters are listed here; private ones through the CLI."
        actions={
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            New character
          </button>
        }
      />
      <form className="search-bar" role="search" onSubmit={submitSearch}>
        <label className="sr-only" htmlFor="character-search">
          Search characters
        </label>
        <input
          id="character-search"
          type="search"
          placeholder="Search by name, description or #tag"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <button type="submit" className="button">
          Search
        </button>
      </form>
      <Loaded resource={characters} label="characters">
        {({ data }) =>
          data.length === 0 ? (
            <div className="card">
              <EmptyState title={query === '' ? 'No characters yet' : `Nothing matches “${query}”`}>
                Create one here, or import a file with <code>npx rialto characters import</code>.
              </EmptyState>
            </div>
          ) : (
            <ul className="character-grid">
              {data.map((character) => (
                <li key={character.id} className="card character-card">
                  <div className="character-head">
                    {character.photoUrl === null ? (
                      <span className="avatar" aria-hidden="true">
                        {character.name.charAt(0)}
                      </span>
                    ) : (
                      <img className="avatar" src={character.photoUrl} alt="" />
                    )}
                    <div>
                      <h2>{character.name}</h2>
                      <code className="small">{character.slug}</code>
                    </div>
                  </div>
                  <p className="character-description">
                    {character.description ?? <span className="muted">No description</span>}
                  </p>
                  <div className="tags">
                    {character.featured ? (
                      <span className="badge badge-accent">featured</span>
                    ) : null}
                    {character.adult ? <span className="badge badge-warning">adult</span> : null}
                    {character.tags.map((tag) => (
                      <span key={tag} className="badge badge-muted">
                        #{tag}
                      </span>
                    ))}
                  </div>
                  <dl className="facts">
                    <div>
                      <dt>Model</dt>
                      <dd>
                        <code>{character.modelId}</code>
                      </dd>
                    </div>
                    <div>
                      <dt>Rating</dt>
                      <dd>
                        {character.stats.ratingCount === 0
                          ? '—'
                          : `${character.stats.averageRating} ★ (${count(character.stats.ratingCount)})`}
                      </dd>
                    </div>
                    <div>
                      <dt>Created</dt>
                      <dd>{when(character.createdAt)}</dd>
                    </div>
                  </dl>
                  <div className="card-actions">
                    <button
                      type="button"
                      className="button button-small button-danger"
                      onClick={() => setDeleting(character)}
                      aria-label={`Delete ${character.name}`}
                    >
                      Delete
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      {creating ? (
        <Dialog title="New character" onClose={() => setCreating(false)} wide>
          <CharacterForm
            models={(models.data?.data ?? []).map((model) => model.id)}
            onCancel={() => setCreating(false)}
            onCreated={() => {
              setCreating(false);
              characters.reload();
            }}
          />
        </Dialog>
      ) : null}
      {deleting === undefined ? null : (
        <DeleteDialog
          character={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleting(undefined);
            characters.reload();
          }}
        />
      )}
    </>
  );
}

function DeleteDialog({
  character,
  onClose,
  onDeleted,
}: {
  character: Character;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const [error, setError] = useState<Error>();
  const remove = async (): Promise<void> => {
    try {
      await api(`/characters/${encodeURIComponent(character.slug)}`, { method: 'DELETE' });
      onDeleted();
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
    }
  };
  return (
    <Dialog title={`Delete ${character.name}?`} onClose={onClose}>
      <p>
        The character and its reviews are deleted. Chats naming <code>{character.slug}</code> will
        answer 404.
      </p>
      <InlineError error={error} />
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" className="button button-danger-solid" onClick={() => void remove()}>
          Delete
        </button>
      </div>
    </Dialog>
  );
}
