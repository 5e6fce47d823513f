import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import type { Account, Balance, List } from '../api-types.ts';
import { Dialog } from '../components/dialog.tsx';
import { Card, PageHeader } from '../components/page-header.tsx';
import { EmptyState, InlineError, Loaded } from '../components/states.tsx';
import { count, diem, usd, when } from '../format.ts';
import { useResource } from '../use-resource.ts';

/** GET /billing/balance (the signed-in account) and /admin/accounts with top-ups (every account). */
export function BalancesPage() {
  const balance = useResource((signal) => api<Balance>('/billing/balance', { signal }), []);
  const accounts = useResource((signal) => api<List<Account>>('/admin/accounts', { signal }), []);
  const [topUp, setTopUp] = useState<Account>();
  const [notice, setNotice] = useState<string>();

  return (
    <>
      <PageHeader
        title="Balances"
        description="What each account can spend. Requests reserve their worst-case cost and settle to the actual cost."
      />
      {notice === undefined ? null : (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <Card title="Your account">
        <Loaded resource={balance} label="your balance">
          {(data) => (
            <div className="stats">
              <Stat label="USD balance" value={usd(data.balances.usd)} />
              <Stat label="DIEM balance" value={diem(data.balances.diem)} />
              <Stat
                label="Spends from"
                value={data.consumptionCurrency ?? 'Nothing left'}
                tone={data.canConsume ? undefined : 'warning'}
              />
              <Stat label="DIEM epoch allocation" value={diem(data.diemEpochAllocation)} />
            </div>
          )}
        </Loaded>
      </Card>
      <Card title="All accounts">
        <Loaded resource={accounts} label="accounts">
          {({ data }) =>
            data.length === 0 ? (
              <EmptyState title="No accounts yet">
                An account is made with its first key.
              </EmptyState>
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Account</th>
                      <th className="numeric">USD</th>
                      <th className="numeric">DIEM</th>
                      <th className="numeric">Reserved now</th>
                      <th className="numeric">Active keys</th>
                      <th>Created</th>
                      <th>
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((account) => (
                      <tr key={account.id}>
                        <td>
                          <div className="cell-title">{account.name}</div>
                          {account.name === account.id ? null : (
                            <code className="small">{account.id}</code>
                          )}
                        </td>
                        <td className="numeric">{usd(account.balances.usd)}</td>
                        <td className="numeric">{count(account.balances.diem)}</td>
                        <td className="numeric muted">
                          {usd(account.reserved.usd)}
                          {account.reserved.diem > 0 ? ` · ${diem(account.reserved.diem)}` : ''}
                        </td>
                        <td className="numeric">{count(account.activeKeys)}</td>
                        <td>{when(account.createdAt)}</td>
                        <td className="row-actions">
                          <button
                            type="button"
                            className="button button-small"
                            onClick={() => setTopUp(account)}
                            aria-label={`Top up ${account.name}`}
                          >
                            Top up
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
      {topUp === undefined ? null : (
        <TopUpDialog
          account={topUp}
          onClose={() => setTopUp(undefined)}
          onDone={(message) => {
            setTopUp(undefined);
            setNotice(message);
            accounts.reload();
            balance.reload();
          }}
        />
      )}
    </>
  );
}

export function Stat({
  label,
  value,
  tone,
}: {
  label: string;
  value: string;
  tone?: 'warning' | 'good' | undefined;
}) {
  return (
    <div className={`stat ${tone === undefined ? '' : `stat-${tone}`}`}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
    </div>
  );
}

function TopUpDialog({
  account,
  onClose,
  onDone,
}: {
  account: Account;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState<'USD' | 'DIEM'>('USD');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<{ data: Account }>(
        `/admin/accounts/${encodeURIComponent(account.id)}/top-up`,
        { method: 'POST', body: { amount: Number(amount), currency } },
      );
      const balances = answer.data.balances;
      onDone(
        `Added ${currency === 'USD' ? usd(Number(amount)) : diem(Number(amount))} to ${account.name}. Balance now ${usd(balances.usd)} and ${diem(balances.diem)}.`,
      );
    } catch (failure) {
      setError(failure instanceof Error ? failure : new Error(String(failure)));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Top up ${account.name}`} onClose={onClose}>
      <form className="form" onSubmit={(event) => void submit(event)}>
        <div className="field-row">
          <label className="field">
            <span>Amount</span>
            <input
              type="number"
              min="0.000001"
              step="any"
              inputMode="decimal"
              required
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
              autoFocus
            />
          </label>
          <label className="field">
            <span>Currency</span>
            <select
              value={currency}
              onChange={(event) => setCurrency(event.target.value === 'DIEM' ? 'DIEM' : 'USD')}
            >
              <option value="USD">USD</option>
              <option value="DIEM">DIEM</option>
            </select>
          </label>
        </div>
        <p className="hint">
          Now: {usd(account.balances.usd)} and {diem(account.balances.diem)}.
        </p>
        <InlineError error={error} />
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add funds'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
