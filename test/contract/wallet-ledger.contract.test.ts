import { definePerStore } from '../support/stores-under-test.ts';
import { defineWalletLedgerContract } from './wallet-ledger-contract.ts';

await definePerStore('Wallet ledger contract', defineWalletLedgerContract);
