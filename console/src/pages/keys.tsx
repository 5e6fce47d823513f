import { useState } from 'react';
import { api } from '../api.ts';
import type { ApiKey, CreatedKey, List } from '../api-types.ts';
import { CopyButton } from '../components/copy-button.tsx';
import { Dialog } from '../components/dialog.tsx';
import { Card, PageHeader } from '../components/page-header.tsx';
import { EmptyState, InlineError, Loaded } from '../components/states.tsx';
import { relative, usd, when } from '../format.ts';
import { storedKey } from '../session.ts';
import { useResource } from '../use-resource.ts';
import { initialValues, KeyForm, limitOf, type KeyFormValues } from './key-form.tsx';

type Modal =
  | { kind: 'create' }
  | { kind: 'created'; key: CreatedKey }
  | { kind: 'edit'; key: ApiKey }
  | { kind: 'revoke'; key: ApiKey };

function limitsText(key: ApiKey): string {
  const { usd: usdLimit, diem } = key.consumptionLimits;
  const parts = [
    usdLimit === null ? null : usd(usdLimit),
    diem === null ? null : `${diem} DIEM`,
  ].filter((part) => part !== null);
  if (parts.length === 0) return 'No limit';
  const period = { EPOCH: 'day', MONTH: 'month', LIFETIME: 'lifetime' }[key.limitPeriod];
  return `${parts.join(' · ')} / ${period}`;
}

/** GET/POST/PATCH/DELETE /api_keys: the account's active keys, their limits and spend. */
export function KeysPage() {
  const keys = useResource((signal) => api<List<ApiKey>>('/api_keys', { signal }), []);
  const [modal, setModal] = useState<Modal>();
  const ownLast6 = storedKey()?.slice(-6);

  const create = async (values: KeyFormValues): Promise<void> => {
    const consumptionLimit = { usd: limitOf(values.usdLimit), diem: limitOf(values.diemLimit) };
    const body = {
      apiKeyType: values.apiKeyType,
      description: values.description.trim(),
      consumptionLimit,
      limitPeriod: values.limitPeriod,
      ...(values.expiresAt === '' ? {} : { expiresAt: values.expiresAt }),
    };
    const created = await api<{ data: CreatedKey }>('/api_keys', { method: 'POST', body });
    setModal({ kind: 'created', key: created.data });
    keys.reload();
  };

  const update =
    (key: ApiKey) =>
    async (values: KeyFormValues): Promise<void> => {
      const body = {
        id: key.id,
        description: values.description.trim(),
        limitPeriod: values.limitPeriod,
        expiresAt: values.expiresAt,
        consumptionLimit: { usd: limitOf(values.usdLimit), diem: limitOf(values.diemLimit) },
      };
      await api('/api_keys', { method: 'PATCH', body });
      setModal(undefined);
      keys.reload();
    };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys of your account: who can call Rialto, with which spend limits."
        actions={
          <button
            type="button"
            className="button button-primary"
            onClick={() => setModal({ kind: 'create' })}
          >
            Create key
          </button>
        }
      />
      <Card>
        <Loaded resource={keys} label="keys">
          {({ data }) =>
            data.length === 0 ? (
              <EmptyState title="No keys yet">
                Create a key for each app or person that calls the API.
              </EmptyState>
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Description</th>
                      <th>Key</th>
                      <th>Spend limit</th>
                      <th className="numeric">Last 7 days</th>
                      <th>Last used</th>
                      <th>Expires</th>
                      <th>
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((key) => (
                      <tr key={key.id}>
                        <td>
                          <div className="cell-title">{key.description}</div>
                          <span
                            className={`badge ${key.apiKeyType === 'ADMIN' ? 'badge-accent' : ''}`}
                          >
                            {key.apiKeyType}
                          </span>
                          {key.apiKeyType === 'ADMIN' && key.last6Chars === ownLast6 ? (
                            <span className="badge badge-muted">this console</span>
                          ) : null}
                        </td>
                        <td>
                          <code>rk-…{key.last6Chars}</code>
                          <div className="muted small">created {when(key.createdAt)}</div>
                        </td>
                        <td>
                          {limitsText(key)}
                          {key.currentPeriodUsage === undefined ? null : (
                            <div className="muted small">
                              used {usd(Number(key.currentPeriodUsage.usd))} this period
                            </div>
                          )}
                        </td>
                        <td className="numeric">{usd(Number(key.usage.trailingSevenDays.usd))}</td>
                        <td title={when(key.lastUsedAt)}>{relative(key.lastUsedAt)}</td>
                        <td>
                          {key.expiresAt === null ? (
                            <span className="muted">Never</span>
                          ) : (
                            when(key.expiresAt)
                          )}
                        </td>
                        <td className="row-actions">
                          <button
                            type="button"
                            className="button button-small"
                            onClick={() => setModal({ kind: 'edit', key })}
                            aria-label={`Edit ${key.description}`}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            className="button button-small button-danger"
                            onClick={() => setModal({ kind: 'revoke', key })}
                            aria-label={`Revoke ${key.description}`}
                          >
                            Revoke
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
      </Card>
      {modal?.kind === 'create' ? (
        <Dialog title="Create an API key" onClose={() => setModal(undefined)}>
          <KeyForm
            initial={initialValues()}
            creating
            onSubmit={create}
            onCancel={() => setModal(undefined)}
          />
        </Dialog>
      ) : null}
      {modal?.kind === 'created' ? (
        <CreatedKeyDialog created={modal.key} onClose={() => setModal(undefined)} />
      ) : null}
      {modal?.kind === 'edit' ? (
        <Dialog title={`Edit “${modal.key.description}”`} onClose={() => setModal(undefined)}>
          <KeyForm
            initial={initialValues(modal.key)}
            creating={false}
            onSubmit={update(modal.key)}
            onCancel={() => setModal(undefined)}
          />
        </Dialog>
      ) : null}
      {modal?.kind === 'revoke' ? (
        <RevokeDialog
          apiKey={modal.key}
          onClose={() => setModal(undefined)}
          onRevoked={() => {
            setModal(undefined);
            keys.reload();
          }}
        />
      ) : null}
    </>
  );
}

function CreatedKeyDialog({ created, onClose }: { created: CreatedKey; onClose: () => void }) {
  return (
    <Dialog title="Your new key" onClose={onClose}>
      <p>
        Copy <strong>{created.description}</strong> now. Rialto keeps only its hash: it is never
        shown again.
      </p>
      <div className="secret">
        <output className="secret-value" aria-label="New API key" data-testid="created-key">
          {created.apiKey}
        </output>
        <CopyButton text={created.apiKey} />
      </div>
      <div className="form-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function RevokeDialog({
  apiKey,
  onClose,
  onRevoked,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onRevoked: () => void;
}) {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const revoke = async (): Promise<void> => {
    setBusy(true);
    try {
      await api(`/api_keys?id=${encodeURIComponent(apiKey.id)}`, { method: 'DELETE' });
      onRevoked();
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Revoke this key?" onClose={onClose}>
      <p>
        <strong>{apiKey.description}</strong> (<code>rk-…{apiKey.last6Chars}</code>) stops working
        at once. This cannot be undone.
      </p>
      <InlineError error={error} />
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button
          type="button"
          className="button button-danger-solid"
          onClick={() => void revoke()}
          disabled={busy}
        >
          {busy ? 'Revoking…' : 'Revoke key'}
        </button>
      </div>
    </Dialog>
  );
}
