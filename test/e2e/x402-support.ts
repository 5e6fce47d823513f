// What the x402 top-up tests share: the payer's x402 client on the test chain (ganache, chain id 84532).
import { x402Client } from '@x402/core/client';
import { type EvmClientConfig, registerExactEvmScheme } from '@x402/evm/exact/client';

/**
 * A payer's x402 client: the exact EVM scheme signing with `signer`, any amount per payment, and the test token
 * `token` allowed on eip155:84532 (the client allows known USDCs only).
 */
export function evmPayingClient(signer: EvmClientConfig['signer'], token: string): x402Client {
  const client = new x402Client();
  registerExactEvmScheme(client, { signer });
  client.setSpendControls({
    maxAmountPerPayment: false,
    allowedAssets: [{ network: 'eip155:84532', asset: token }],
  });
  return client;
}
