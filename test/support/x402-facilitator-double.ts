import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { x402Facilitator } from '@x402/core/facilitator';
import type { Network } from '@x402/core/types';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';
import { toFacilitatorSvmSigner } from '@x402/svm';
import { registerExactSvmScheme } from '@x402/svm/exact/facilitator';
import type { KeyPairSigner } from '@solana/kit';
import {
  createWalletClient,
  type Hex,
  http,
  publicActions,
  type VerifyTypedDataParameters,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { EvmChain } from './evm-chain.ts';

export interface FacilitatorDouble {
  /** http://127.0.0.1:PORT — what wallets.facilitator.url takes. */
  url: string;
  /** Requests received, by path ('/verify', '/settle', '/supported'), with their Authorization header. */
  calls: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A remote x402 facilitator for tests: a real HTTP server on 127.0.0.1 speaking the facilitator protocol
 * (POST /verify and /settle with {x402Version, paymentPayload, paymentRequirements}, GET /supported), answered by
 * x402's own facilitator (@x402/core/facilitator + the exact EVM scheme) settling on the test chain with
 * `settlementKey` (a key without ETH makes every settlement fail on chain after verification passes).
 */
export interface FacilitatorDoubleOptions {
  /**
   * Awaited after a settlement succeeded on chain and before /settle answers: a test holds the answer here (e.g. to
   * kill Rialto between settlement and credit); the default answers at once.
   */
  afterSettle?: () => Promise<void>;
}

export async function startFacilitatorDouble(
  chain: EvmChain,
  settlementKey: Hex,
  options: FacilitatorDoubleOptions = {},
): Promise<FacilitatorDouble> {
  const account = privateKeyToAccount(settlementKey);
  const client = createWalletClient({
    account,
    chain: chain.chain,
    transport: http(chain.rpcUrl),
  }).extend(publicActions);
  const facilitator = registerExactEvmScheme(new x402Facilitator(), {
    signer: toFacilitatorEvmSigner({
      ...client,
      address: account.address,
      verifyTypedData: (args) => client.verifyTypedData(args as VerifyTypedDataParameters),
    }),
    networks: `eip155:${chain.chainId}` as Network,
  });
  return serveFacilitator(facilitator, `eip155:${chain.chainId}`, options);
}

/**
 * A Solana facilitator for tests: x402's own facilitator with the exact SVM scheme (@x402/svm), its fee payer
 * `feePayer` (a @solana/kit key pair signer), talking to the Solana JSON-RPC node at `rpcUrl` (a
 * test/support/solana-rpc-double.ts): /verify checks the payer's transaction (instructions, amount, recipient's
 * token account, ed25519 signatures) and simulates it; /settle co-signs it as fee payer, sends it and waits for its
 * confirmation, answering its signature as `transaction`.
 */
export async function startSolanaFacilitatorDouble(
  rpcUrl: string,
  feePayer: KeyPairSigner,
  network: Network = 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
  options: FacilitatorDoubleOptions = {},
): Promise<FacilitatorDouble> {
  const facilitator = registerExactSvmScheme(new x402Facilitator(), {
    signer: toFacilitatorSvmSigner(feePayer, { defaultRpcUrl: rpcUrl }),
    networks: network,
  });
  return serveFacilitator(facilitator, network, options);
}

/** The facilitator protocol over HTTP on 127.0.0.1, answered by `facilitator`. */
async function serveFacilitator(
  facilitator: x402Facilitator,
  network: string,
  options: FacilitatorDoubleOptions,
): Promise<FacilitatorDouble> {
  const calls: FacilitatorDouble['calls'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const path = request.url ?? '';
      calls.push({ path, authorization: request.headers.authorization });
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      try {
        if (request.method === 'GET' && path === '/supported')
          return send(200, facilitator.getSupported());
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (request.method === 'POST' && path === '/verify')
          return send(200, await facilitator.verify(body.paymentPayload, body.paymentRequirements));
        if (request.method === 'POST' && path === '/settle') {
          const settled = await facilitator.settle(body.paymentPayload, body.paymentRequirements);
          if (settled.success) await options.afterSettle?.();
          return send(settled.success ? 200 : 400, settled);
        }
        send(404, { error: 'not found' });
      } catch (error) {
        send(400, {
          success: false,
          isValid: false,
          errorReason: 'unexpected_settle_error',
          invalidReason: String((error as Error).message).slice(0, 200),
          transaction: '',
          network,
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
