import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSIWxPayload, encodeSIWxHeader } from '@x402/extensions/sign-in-with-x';
import { privateKeyToAccount } from 'viem/accounts';
import {
  evmSiwxHeader,
  SOLANA_MAINNET,
  solanaKeypair,
  solanaSiwxHeader,
} from '../../../test/support/x402-siwx.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { SiwxVerifier } from './siwx-verifier.ts';

const ORIGIN = 'http://127.0.0.1:4000';
const account = privateKeyToAccount(
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
);

function verifier(chains: string[] = ['eip155:84532', SOLANA_MAINNET]) {
  const used = new Set<string>();
  return new SiwxVerifier({
    origin: new URL(ORIGIN),
    chains,
    maxAgeMs: 5 * 60_000,
    claimNonce: async (key) => used.size < used.add(key).size,
  });
}

async function refused(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(
    promise,
    (error: unknown) =>
      error instanceof VeniceError && error.code === 'X402_INVALID_SIGN_IN' && error.status === 401,
  );
}

describe('SiwxVerifier', () => {
  it('accepts an EIP-191 sign-in in Venice form (chainId as number, string or CAIP-2)', async () => {
    const check = verifier();
    for (const chainId of [84532, '84532', 'eip155:84532']) {
      const signedIn = await check.verify(
        await evmSiwxHeader(account, { origin: ORIGIN, chainId }),
      );
      assert.equal(signedIn.wallet, `eip155:${account.address.toLowerCase()}`);
      assert.equal(signedIn.chainId, 'eip155:84532');
    }
  });

  it("accepts the x402 extension's own header form", async () => {
    const payload = await createSIWxPayload(
      {
        domain: '127.0.0.1:4000',
        uri: ORIGIN,
        version: '1',
        chainId: 'eip155:84532',
        type: 'eip191',
        nonce: 'a1b2c3d4e5f60718',
        issuedAt: new Date().toISOString(),
      },
      account,
      ORIGIN,
    );
    const signedIn = await verifier().verify(encodeSIWxHeader(payload));
    assert.equal(signedIn.address, account.address);
  });

  it('refuses another domain, another uri origin, an expired or too old message', async () => {
    const check = verifier();
    await refused(
      check.verify(await evmSiwxHeader(account, { origin: ORIGIN, domain: 'evil.example' })),
    );
    await refused(check.verify(await evmSiwxHeader(account, { origin: 'http://127.0.0.1:4001' })));
    const past = new Date(Date.now() - 60_000);
    await refused(
      check.verify(
        await evmSiwxHeader(account, {
          origin: ORIGIN,
          issuedAt: new Date(Date.now() - 120_000),
          expirationTime: past,
        }),
      ),
    );
    await refused(
      check.verify(
        await evmSiwxHeader(account, {
          origin: ORIGIN,
          issuedAt: new Date(Date.now() - 6 * 60_000),
          expirationTime: null,
        }),
      ),
    );
    await refused(
      check.verify(
        await evmSiwxHeader(account, { origin: ORIGIN, issuedAt: new Date(Date.now() + 60_000) }),
      ),
    );
  });

  it('refuses a replayed nonce (the same header twice)', async () => {
    const check = verifier();
    const header = await evmSiwxHeader(account, { origin: ORIGIN });
    await check.verify(header);
    await refused(check.verify(header));
  });

  it('refuses a chain not accepted, and a header whose chain is not the message’s', async () => {
    await refused(
      verifier(['eip155:8453']).verify(await evmSiwxHeader(account, { origin: ORIGIN })),
    );
    const header = await evmSiwxHeader(account, { origin: ORIGIN, chainId: 84532 });
    const decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    const relabeled = Buffer.from(JSON.stringify({ ...decoded, chainId: 8453 })).toString('base64');
    await refused(verifier(['eip155:8453', 'eip155:84532']).verify(relabeled));
  });

  it('refuses a tampered message, another signer, and junk', async () => {
    const check = verifier();
    await refused(
      check.verify(
        await evmSiwxHeader(account, { origin: ORIGIN }, (message) =>
          message.replace('Sign in to Venice API', 'Sign in to Venice APi'),
        ),
      ),
    );
    const other = privateKeyToAccount(
      '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
    );
    const header = await evmSiwxHeader(account, { origin: ORIGIN });
    const decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    const signature = await other.signMessage({ message: decoded.message });
    await refused(
      check.verify(Buffer.from(JSON.stringify({ ...decoded, signature })).toString('base64')),
    );
    for (const junk of [
      '',
      'not base64!',
      Buffer.from('{"a":1}').toString('base64'),
      'A'.repeat(9000),
    ])
      await refused(check.verify(junk));
  });

  it('accepts an ed25519 Solana sign-in (signature in base58 or base64) and refuses a tampered one', async () => {
    const check = verifier();
    const keypair = solanaKeypair();
    for (const signatureEncoding of ['base58', 'base64'] as const) {
      const signedIn = await check.verify(
        solanaSiwxHeader(keypair, { origin: ORIGIN, signatureEncoding }),
      );
      assert.equal(signedIn.wallet, `solana:${keypair.address}`);
    }
    const header = solanaSiwxHeader(keypair, { origin: ORIGIN });
    const decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    const tampered = { ...decoded, address: solanaKeypair().address };
    await refused(check.verify(Buffer.from(JSON.stringify(tampered)).toString('base64')));
    await refused(verifier(['eip155:84532']).verify(solanaSiwxHeader(keypair, { origin: ORIGIN })));
  });
});
