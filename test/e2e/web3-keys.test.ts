// GET|POST /api_keys/generate_web3_key (#20 item 5) on a ganache chain with a deployed ERC-20: a holder of the
// configured minimum mints a key that then authenticates; a non-holder, a replayed token, a wrong signer, a forged
// or expired token are refused with Venice's 400 messages; 200 bodies checked against the swagger. Runs on SQLite
// and PostgreSQL (the tokens live in the store's wallet_nonces, keys in api_keys).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { privateKeyToAccount } from 'viem/accounts';
import {
  CHAIN_PRIVATE_KEYS,
  type DeployedToken,
  deployToken,
  type EvmChain,
  mint,
  startEvmChain,
} from '../support/evm-chain.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';

const holder = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1]!);
const small = privateKeyToAccount(CHAIN_PRIVATE_KEYS[2]!);
const stranger = privateKeyToAccount(CHAIN_PRIVATE_KEYS[4]!);
const TOKEN_UNIT = 1_000_000n; // the test token has 6 decimals

type Json = Record<string, unknown>;
const PATH = '/api_keys/generate_web3_key';

describe('wallet-minted API keys (ERC-20 rule on a ganache chain)', () => {
  let chain: EvmChain;
  let token: DeployedToken;
  let rialto: TestRialto;

  before(async () => {
    chain = await startEvmChain({ chainId: 84532 });
    token = await deployToken(chain, 'Stake', 'STK');
    await mint(chain, token, holder.address, 25n * TOKEN_UNIT);
    await mint(chain, token, small.address, 9n * TOKEN_UNIT + 999_999n);
    rialto = await startRialto({
      wallets: {
        web3Keys: {
          enabled: true,
          network: 'eip155:84532',
          rpcUrl: chain.rpcUrl,
          rule: { erc20: { token: token.address, minimum: '10', decimals: 6 } },
          keyTypes: ['INFERENCE'],
          consumptionLimit: { usd: 100 },
        },
      },
    });
  });
  after(async () => {
    await rialto?.close();
    await chain?.stop();
  });

  async function getToken(): Promise<string> {
    const response = await fetch(`${rialto.baseURL}${PATH}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Json;
    validateResponse({ method: 'GET', path: PATH, status: 200, body });
    return (body.data as { token: string }).token;
  }
  async function post(body: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${rialto.baseURL}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = (await response.json()) as Json;
    if (response.status === 200)
      validateResponse({ method: 'POST', path: PATH, status: 200, body: parsed });
    return { status: response.status, body: parsed };
  }
  const refusal = (answer: { status: number; body: Json }, message: string) => {
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(JSON.stringify(answer.body), new RegExp(message));
  };

  it('a holder of the minimum mints a key (limits capped, wallet account, stored hashed) that authenticates', async () => {
    const challenge = await getToken();
    assert.match(challenge, /^rw3k\.\d+\.[A-Za-z0-9_-]{43}$/);
    const signature = await holder.signMessage({ message: challenge });
    const answer = await post({
      address: holder.address,
      signature,
      token: challenge,
      apiKeyType: 'INFERENCE',
      consumptionLimit: { usd: 500, diem: 3 },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const data = answer.body.data as Json;
    assert.equal(data.apiKeyType, 'INFERENCE');
    assert.equal(data.description, 'Web3 API Key');
    assert.deepEqual(data.consumptionLimit, { usd: 100, diem: 3, vcu: null });
    const record = await rialto.store.apiKeys.findById(data.id as string);
    assert.equal(record?.accountId, `eip155:${holder.address.toLowerCase()}`);
    assert.ok(record !== undefined && !String(data.apiKey).includes(record.secretHash));
    const limits = await fetch(`${rialto.baseURL}/api_keys/rate_limits`, {
      headers: { authorization: `Bearer ${data.apiKey}` },
    });
    assert.equal(limits.status, 200);
    await limits.arrayBuffer();

    // The same token and signature again: the token was taken.
    const replay = await post({
      address: holder.address,
      signature,
      token: challenge,
      apiKeyType: 'INFERENCE',
    });
    refusal(replay, 'JWT signature is invalid');
  });

  it('refuses a wallet below the minimum, and a wallet with none (400, no key made)', async () => {
    for (const account of [small, stranger]) {
      const challenge = await getToken();
      const answer = await post({
        address: account.address,
        signature: await account.signMessage({ message: challenge }),
        token: challenge,
        apiKeyType: 'INFERENCE',
      });
      refusal(answer, 'Wallet holds less than 10 of token');
      const keys = await rialto.store.apiKeys.listActive(`eip155:${account.address.toLowerCase()}`);
      assert.equal(keys.length, 0);
    }
  });

  it('refuses a wrong signer without burning the token, which its wallet can then use', async () => {
    const challenge = await getToken();
    const wrong = await post({
      address: holder.address,
      signature: await stranger.signMessage({ message: challenge }),
      token: challenge,
      apiKeyType: 'INFERENCE',
    });
    refusal(wrong, 'Wallet signature does not match');
    const right = await post({
      address: holder.address,
      signature: await holder.signMessage({ message: challenge }),
      token: challenge,
      apiKeyType: 'INFERENCE',
      description: 'agent',
    });
    assert.equal(right.status, 200, JSON.stringify(right.body));
  });

  it('refuses forged, expired and malformed tokens, bad addresses, an ADMIN key, unknown keys', async () => {
    const later = Math.floor(Date.now() / 1000) + 200;
    const forged = `rw3k.${later}.${'A'.repeat(43)}`;
    const signed = async (message: string) => holder.signMessage({ message });
    refusal(
      await post({
        address: holder.address,
        signature: await signed(forged),
        token: forged,
        apiKeyType: 'INFERENCE',
      }),
      'JWT signature is invalid',
    );
    const expired = `rw3k.${later - 1000}.${'A'.repeat(43)}`;
    refusal(
      await post({
        address: holder.address,
        signature: await signed(expired),
        token: expired,
        apiKeyType: 'INFERENCE',
      }),
      'JWT has expired',
    );
    refusal(
      await post({
        address: holder.address,
        signature: '0x00',
        token: 'not-a-token',
        apiKeyType: 'INFERENCE',
      }),
      'JWT is malformed',
    );
    const challenge = await getToken();
    refusal(
      await post({
        address: '0x1234',
        signature: '0x00',
        token: challenge,
        apiKeyType: 'INFERENCE',
      }),
      'Invalid wallet address',
    );
    refusal(
      await post({
        address: holder.address,
        signature: await signed(challenge),
        token: challenge,
        apiKeyType: 'ADMIN',
      }),
      'apiKeyType ADMIN is not offered',
    );
    refusal(
      await post({
        address: holder.address,
        signature: 'junk',
        token: challenge,
        apiKeyType: 'INFERENCE',
      }),
      'Wallet signature does not match',
    );
    refusal(
      await post({
        address: holder.address,
        signature: await signed(challenge),
        token: challenge,
        apiKeyType: 'INFERENCE',
        extra: 1,
      }),
      'Unrecognized key',
    );
    // None of these took the token.
    const ok = await post({
      address: holder.address,
      signature: await signed(challenge),
      token: challenge,
      apiKeyType: 'INFERENCE',
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });
});

describe('wallet-minted API keys off (the default)', () => {
  it('answers 404 on both operations', async () => {
    const rialto = await startRialto({});
    try {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${rialto.baseURL}${PATH}`, {
          method,
          ...(method === 'POST'
            ? { headers: { 'content-type': 'application/json' }, body: '{}' }
            : {}),
        });
        assert.equal(response.status, 404);
        await response.arrayBuffer();
      }
    } finally {
      await rialto.close();
    }
  });
});
