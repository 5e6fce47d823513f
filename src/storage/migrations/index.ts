import type { Migration } from 'kysely';
import * as apiKeys from './001-api-keys.ts';
import * as accountsLedger from './002-accounts-ledger.ts';
import * as jobs from './003-jobs.ts';
import * as jobDownloadLinks from './004-job-download-links.ts';
import * as characters from './005-characters.ts';
import * as walletLedger from './006-wallet-ledger.ts';
import * as clonedVoices from './007-cloned-voices.ts';
import * as walletPendingTopUps from './008-wallet-pending-top-ups.ts';
import * as jobLedger from './009-job-ledger.ts';
import * as budgetLeases from './010-budget-leases.ts';

/** Every migration, in order; names sort lexically, which is the order Kysely applies them. */
export const migrations: Record<string, Migration> = {
  '001-api-keys': apiKeys,
  '002-accounts-ledger': accountsLedger,
  '003-jobs': jobs,
  '004-job-download-links': jobDownloadLinks,
  '005-characters': characters,
  '006-wallet-ledger': walletLedger,
  '007-cloned-voices': clonedVoices,
  '008-wallet-pending-top-ups': walletPendingTopUps,
  '009-job-ledger': jobLedger,
  '010-budget-leases': budgetLeases,
};
