import type { WalletRepository } from '../../storage/wallet-store.ts';
import type { TopUpService } from './top-up-service.ts';

/** The periodic work of one process on the wallet ledger; `stop` ends it (the timers never keep a process alive). */
export interface WalletUpkeep {
  stop(): void;
}

/**
 * Every third of a lease: renews the leases of the holds this process keeps `open` and releases the holds whose
 * lease ended (their process died). Every `reconcileMs`: reconciles top-ups left pending (a facilitator's answer
 * lost while this process runs; rows younger than an interval are left to whoever is settling them).
 */
export function startWalletUpkeep(options: {
  repository: WalletRepository;
  topUp: TopUpService;
  open: ReadonlySet<string>;
  leaseMs: number;
  reconcileMs: number;
}): WalletUpkeep {
  const { repository, topUp, open, leaseMs, reconcileMs } = options;
  const renewAll = async (): Promise<void> => {
    const leaseUntil = new Date(Date.now() + leaseMs).toISOString();
    if (open.size > 0) await repository.renew([...open], leaseUntil).catch(() => undefined);
    await repository.releaseExpired(new Date().toISOString()).catch(() => undefined);
  };
  const renewal = setInterval(() => void renewAll(), leaseMs / 3);
  const reconciling = setInterval(
    () => void topUp.reconcilePending({ olderThanMs: reconcileMs }).catch(() => undefined),
    reconcileMs,
  );
  renewal.unref();
  reconciling.unref();
  return {
    stop: () => {
      clearInterval(renewal);
      clearInterval(reconciling);
    },
  };
}
