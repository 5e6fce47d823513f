import { x402Facilitator } from '@x402/core/facilitator';
import { type FacilitatorClient, HTTPFacilitatorClient } from '@x402/core/server';
import type { Network } from '@x402/core/types';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';
import {
  createWalletClient,
  defineChain,
  type Hex,
  http,
  publicActions,
  type VerifyTypedDataParameters,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { WalletsConfig } from '../../config/wallets-config.ts';

/** The facilitator's verify and settle: a remote x402 facilitator, or Rialto's own (`local`). */
export type PaymentFacilitator = Pick<FacilitatorClient, 'verify' | 'settle'>;

/**
 * `url`: x402's HTTPFacilitatorClient (POST /verify and /settle), with a bearer token from the environment.
 * `local`: x402's own facilitator with the exact EVM scheme (EIP-3009 transferWithAuthorization), one per network,
 * sending from the settlement key read from the environment (never from the file, never logged) through the
 * network's rpcUrl. Throws at start when the key is missing or malformed.
 */
export function createFacilitator(
  wallets: WalletsConfig,
  environment: NodeJS.ProcessEnv = process.env,
): PaymentFacilitator {
  const facilitator = wallets.facilitator;
  if (facilitator.kind === 'url') {
    const token =
      facilitator.tokenEnv === undefined ? undefined : environment[facilitator.tokenEnv];
    const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    return new HTTPFacilitatorClient({
      url: facilitator.url.replace(/\/+$/, ''),
      timeoutMs: facilitator.timeoutMs,
      createAuthHeaders: async () => ({ verify: headers, settle: headers, supported: headers }),
    });
  }
  const key = environment[facilitator.settlementKeyEnv];
  if (key === undefined || !/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new Error(
      `wallets.facilitator local: ${facilitator.settlementKeyEnv} must hold the settlement key (0x + 64 hex)`,
    );
  const account = privateKeyToAccount(key as Hex);
  const local = new x402Facilitator();
  for (const network of wallets.networks) {
    if (network.rpcUrl === undefined) continue;
    const chain = defineChain({
      id: Number(network.id.slice('eip155:'.length)),
      name: network.id,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [network.rpcUrl] } },
    });
    const client = createWalletClient({ account, chain, transport: http(network.rpcUrl) }).extend(
      publicActions,
    );
    registerExactEvmScheme(local, {
      signer: toFacilitatorEvmSigner({
        ...client,
        address: account.address,
        // x402 passes EIP-712 typed data it built itself; viem's parameter type is narrower than x402's.
        verifyTypedData: (args) => client.verifyTypedData(args as VerifyTypedDataParameters),
      }),
      networks: network.id as Network,
    });
  }
  return local;
}
