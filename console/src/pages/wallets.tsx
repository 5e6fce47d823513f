import { useState } from 'react';
import { api } from '../api.ts';
import type { Wallet, WalletEntryType, WalletLedger, WalletList } from '../api-types.ts';
import { Card, PageHeader } from '../components/page-header.tsx';
import { EmptyState, Loaded } from '../components/states.tsx';
import { count, relative, usdNanos, when } from '../format.ts';
import { useResource } from '../use-resource.ts';

const WALLETS_PER_PAGE = 50;
const ENTRIES_PER_PAGE = 25;
const TONES: Record<WalletEntryType, string> = {
  TOP_UP: 'badge-good',
  CHARGE: 'badge-muted',
  REFUND: 'badge-accent',
};
const NETWORKS: Record<Wallet['network'], string> = { eip155: 'EVM', solana: 'Solana' };

/** GET /admin/wallets and /admin/wallets/{address}/entries: the x402 wallets and one wallet's ledger. */
export function WalletsPage() {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string>();
  const wallets = useResource(
    (signal) =>
      api<WalletList>(`/admin/wallets?limit=${WALLETS_PER_PAGE}&offset=${offset}`, { signal }),
    [offset],
  );
  return (
    <>
      <PageHeader
        title="Wallets"
        description="Wallets that pay with x402: topped up on chain, charged per request when they sign in with their address."
        actions={
          <button type="button" className="button" onClick={wallets.reload}>
            Refresh
          </button>
        }
      />
      <Card title="All wallets">
        <Loaded resource={wallets} label="wallets">
          {({ data, total }) =>
            data.length === 0 ? (
              <EmptyState title="No wallets yet">
                A wallet appears here with its first top-up through /x402/top-up.
              </EmptyState>
            ) : (
              <>
                <div className="table-scroll">
                  <table className="table">
                    <thead>
                      <tr>
                        <th>Wallet</th>
                        <th className="numeric">Balance</th>
                        <th className="numeric">Topped up</th>
                        <th className="numeric">Charged</th>
                        <th className="numeric">Entries</th>
                        <th>Last activity</th>
                        <th>
                          <span className="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.map((wallet) => (
                        <tr key={wallet.address} aria-selected={wallet.address === selected}>
                          <td>
                            <code className="small">{wallet.address}</code>{' '}
                            <span className="badge badge-muted">{NETWORKS[wallet.network]}</span>
                          </td>
                          <td className="numeric">
                            {usdNanos(wallet.balanceNanos)}
                            {wallet.reservedNanos > 0 ? (
                              <div className="muted small">
                                {usdNanos(wallet.reservedNanos)} reserved
                              </div>
                            ) : null}
                          </td>
                          <td className="numeric">{usdNanos(wallet.toppedUpNanos)}</td>
                          <td className="numeric">
                            {usdNanos(wallet.chargedNanos)}
                            {wallet.refundedNanos > 0 ? (
                              <div className="muted small">
                                {usdNanos(wallet.refundedNanos)} refunded
                              </div>
                            ) : null}
                          </td>
                          <td className="numeric">{count(wallet.entries)}</td>
                          <td title={when(wallet.lastActivityAt)}>
                            {relative(wallet.lastActivityAt)}
                          </td>
                          <td className="row-actions">
                            <button
                              type="button"
                              className="button button-small"
                              onClick={() => setSelected(wallet.address)}
                              aria-label={`Ledger of ${wallet.address}`}
                            >
                              Ledger
                            </button>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager
                  label="wallets"
                  offset={offset}
                  size={WALLETS_PER_PAGE}
                  hasMore={offset + data.length < total}
                  onMove={setOffset}
                />
              </>
            )
          }
        </Loaded>
      </Card>
      {selected === undefined ? null : <Ledger key={selected} address={selected} />}
    </>
  );
}

function Ledger({ address }: { address: string }) {
  const [offset, setOffset] = useState(0);
  const ledger = useResource(
    (signal) =>
      api<WalletLedger>(
        `/admin/wallets/${encodeURIComponent(address)}/entries?limit=${ENTRIES_PER_PAGE}&offset=${offset}`,
        { signal },
      ),
    [address, offset],
  );
  return (
    <Card title="Ledger">
      <Loaded resource={ledger} label="the ledger">
        {(data) => (
          <>
            <p>
              <code className="small">{data.address}</code>: balance {usdNanos(data.balanceNanos)}
              {data.reservedNanos > 0 ? `, ${usdNanos(data.reservedNanos)} reserved` : ''}
            </p>
            {data.data.length === 0 ? (
              <EmptyState title="No entries on this page" />
            ) : (
              <div className="table-scroll">
                <table className="table">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Type</th>
                      <th className="numeric">Amount</th>
                      <th className="numeric">Balance after</th>
                      <th>Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.data.map((entry) => (
                      <tr key={entry.id}>
                        <td title={entry.createdAt}>{when(entry.createdAt)}</td>
                        <td>
                          <span className={`badge ${TONES[entry.type]}`}>{entry.type}</span>
                        </td>
                        <td className="numeric">{usdNanos(entry.amountNanos)}</td>
                        <td className="numeric">{usdNanos(entry.balanceAfterNanos)}</td>
                        <td className="small">
                          {entry.transaction === null ? null : (
                            <div>
                              {entry.network ?? ''} <code>{entry.transaction}</code>
                            </div>
                          )}
                          {entry.modelId === null ? null : <code>{entry.modelId}</code>}
                          {entry.requestId === null ? null : (
                            <span className="muted"> · {entry.requestId}</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <Pager
              label="entries"
              offset={offset}
              size={ENTRIES_PER_PAGE}
              hasMore={data.hasMore}
              onMove={setOffset}
            />
          </>
        )}
      </Loaded>
    </Card>
  );
}

function Pager({
  label,
  offset,
  size,
  hasMore,
  onMove,
}: {
  label: string;
  offset: number;
  size: number;
  hasMore: boolean;
  onMove: (offset: number) => void;
}) {
  if (offset === 0 && !hasMore) return null;
  return (
    <div className="page-actions" role="group" aria-label={`Pages of ${label}`}>
      <button
        type="button"
        className="button button-small"
        disabled={offset === 0}
        onClick={() => onMove(Math.max(0, offset - size))}
      >
        Newer
      </button>
      <button
        type="button"
        className="button button-small"
        disabled={!hasMore}
        onClick={() => onMove(offset + size)}
      >
        Older
      </button>
    </div>
  );
}
