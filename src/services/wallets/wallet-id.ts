import type { WalletId } from '../../storage/wallet-store.ts';

// swagger: walletAddress ^(0x[a-fA-F0-9]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$ — an EVM or a Solana address.
const EVM_ADDRESS = /^0x[a-fA-F0-9]{40}$/;
const SOLANA_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

/**
 * The ledger's key of an address: 'eip155:' + the address in lowercase (any EIP-55 casing names the same wallet,
 * on every EVM chain), or 'solana:' + the base58 address as given (base58 is case-sensitive); undefined otherwise.
 */
export function walletIdOf(address: string): WalletId | undefined {
  if (EVM_ADDRESS.test(address)) return `eip155:${address.toLowerCase()}`;
  if (SOLANA_ADDRESS.test(address)) return `solana:${address}`;
  return undefined;
}

/** The address a wallet id names, as the API shows it (swagger: "Normalized wallet address"). */
export function addressOf(wallet: WalletId): string {
  return wallet.slice(wallet.indexOf(':') + 1);
}

/** The rate limiter's key of a wallet: never an API key's id (those are UUIDs). */
export function walletRateLimitKey(wallet: WalletId): string {
  return `wallet:${wallet}`;
}
