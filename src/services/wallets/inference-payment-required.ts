import { randomBytes } from 'node:crypto';
import { declareSIWxExtension } from '@x402/extensions/sign-in-with-x';
import type { WalletsConfig } from '../../config/wallets-config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import type { TopUpService } from './top-up-service.ts';

/** What the 402s of an inference route need to know about the request they answer. */
export interface PaymentRequiredContext {
  /** The inference URL asked for (resource.url, the SIWx challenge's uri). */
  resourceUrl: string;
  /** The server's base (publicUrl, else the request's protocol and host), for the top-up URL. */
  base: string;
}

const STATEMENT = 'Sign in to Rialto';

/** The SIWx chains and signature types accepted (EIP-1271 needs the network's rpcUrl to reach the contract). */
type SignatureKind = 'eip191' | 'eip1271' | 'ed25519';

function supportedChains(config: WalletsConfig): { chainId: string; type: SignatureKind }[] {
  return config.networks.flatMap((network): { chainId: string; type: SignatureKind }[] =>
    network.id.startsWith('solana:')
      ? [{ chainId: network.id, type: 'ed25519' }]
      : [
          { chainId: network.id, type: 'eip191' },
          ...(network.rpcUrl === undefined
            ? []
            : [{ chainId: network.id, type: 'eip1271' as const }]),
        ],
  );
}

/** A fresh SIWx challenge for `resourceUrl` (swagger: siwxChallenge.info), valid for the sign-in max age. */
function challengeInfo(config: WalletsConfig, resourceUrl: string) {
  const issuedAt = new Date();
  const url = new URL(resourceUrl);
  return {
    domain: url.host,
    uri: resourceUrl,
    version: '1',
    nonce: randomBytes(16).toString('hex'),
    issuedAt: issuedAt.toISOString(),
    expirationTime: new Date(issuedAt.getTime() + config.signInMaxAgeSeconds * 1000).toISOString(),
    statement: STATEMENT,
  };
}

/**
 * 402 to a request on an inference route with no auth at all (INVENTORY §4.3 (2), swagger:
 * X402InferencePaymentRequired): x402 v2 discovery (the top-up requirements of every configured network), the
 * `sign-in-with-x` extension with a fresh challenge, and how to authenticate; PAYMENT-REQUIRED carries the
 * requirements for x402 clients. The body is not a StandardError, so it overrides toBody.
 */
export class X402DiscoveryRequired extends VeniceError {
  private readonly body: Record<string, unknown>;

  constructor(config: WalletsConfig, topUp: TopUpService, context: PaymentRequiredContext) {
    const topUpUrl = `${context.base}/api/v1/x402/top-up`;
    const required = topUp.paymentRequired(topUpUrl);
    super('INSUFFICIENT_BALANCE', {
      message: 'Payment required',
      headers: { 'payment-required': required.header },
    });
    const declared = declareSIWxExtension({
      network: config.networks.map((network) => network.id as `${string}:${string}`),
      statement: STATEMENT,
      expirationSeconds: config.signInMaxAgeSeconds,
    })['sign-in-with-x'] as unknown as { schema: unknown };
    this.body = {
      x402Version: 2,
      error: 'Payment required',
      resource: {
        url: context.resourceUrl,
        description: 'Rialto API: sign in with a wallet that has credit, or use an API key',
        mimeType: 'application/json',
      },
      accepts: required.body.accepts,
      extensions: {
        'sign-in-with-x': {
          info: challengeInfo(config, context.resourceUrl),
          supportedChains: supportedChains(config),
          schema: declared.schema,
        },
      },
      authOptions: {
        apiKey: {
          header: 'Authorization: Bearer YOUR_API_KEY',
          getKey: `${context.base}/console/`,
          docs: 'https://docs.venice.ai/api-reference',
        },
        x402Wallet: {
          header: 'SIGN-IN-WITH-X',
          legacyHeader: 'X-Sign-In-With-X',
          topUp: 'POST /api/v1/x402/top-up',
          docs: 'https://docs.venice.ai/api-reference/endpoint/x402/top-up',
        },
      },
    };
  }

  override toBody(): Record<string, unknown> {
    return this.body;
  }
}

/**
 * 402 to a signed-in wallet whose free balance cannot cover the request's worst case and keep the minimum balance
 * (INVENTORY §4.3 (3), swagger: X402InferencePaymentRequired's PAYMENT_REQUIRED body), with PAYMENT-REQUIRED as
 * the discovery answer has it.
 */
export class X402InsufficientBalance extends VeniceError {
  private readonly body: Record<string, unknown>;

  constructor(
    config: WalletsConfig,
    topUp: TopUpService,
    context: PaymentRequiredContext & { currentBalanceUsd: number },
  ) {
    const topUpUrl = `${context.base}/api/v1/x402/top-up`;
    const required = topUp.paymentRequired(topUpUrl);
    super('INSUFFICIENT_BALANCE', {
      message: 'Payment required',
      headers: { 'payment-required': required.header },
    });
    // The legacy single-network fields name the first EVM network (else the first one).
    const first =
      config.networks.find((network) => network.id.startsWith('eip155:')) ?? config.networks[0];
    this.body = {
      error: 'Payment required',
      code: 'PAYMENT_REQUIRED',
      reason: 'insufficient_balance',
      message: 'Insufficient x402 balance',
      currentBalanceUsd: context.currentBalanceUsd,
      minimumBalanceUsd: config.minimumBalanceUsd,
      description: 'Rialto API',
      suggestedTopUpUsd: config.suggestedTopUpUsd,
      minimumTopUpUsd: config.minimumTopUpUsd,
      supportedTokens: ['USDC'],
      supportedChains: [
        ...new Set(
          config.networks.map((network) => (network.id.startsWith('solana:') ? 'solana' : 'base')),
        ),
      ],
      topUpInstructions: {
        step1: 'POST /api/v1/x402/top-up with no payment header to get payment requirements',
        step2:
          'Choose a payment option from accepts and sign a USDC transfer authorization using the x402 SDK (createPaymentHeader)',
        step3: 'POST /api/v1/x402/top-up with the signed PAYMENT-SIGNATURE header',
        receiverWallet: first?.payTo ?? '',
        tokenAddress: first?.token.address ?? '',
        tokenDecimals: first?.token.decimals ?? 6,
        network: first?.id ?? '',
        minimumAmountUsd: config.minimumTopUpUsd,
      },
      siwxChallenge: {
        info: challengeInfo(config, context.resourceUrl),
        supportedChains: supportedChains(config),
      },
    };
  }

  override toBody(): Record<string, unknown> {
    return this.body;
  }
}
