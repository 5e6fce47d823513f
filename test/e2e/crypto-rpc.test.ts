// GET /crypto/rpc/networks and POST /crypto/rpc/{network} relaying to a real EVM chain (ganache's own JSON-RPC,
// test/support/evm-chain.ts): single calls, a batch, refusals, failover from a dead node to a live one behind Basic
// auth, every response checked against the swagger, node credentials never shown, and the credits in the books.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { decodeFunctionResult, encodeFunctionData, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { toNanos } from '../../src/services/billing/money.ts';
import { assertBooksBalance } from '../support/ledger-books.ts';
import { listenOnHost, stopServer } from '../support/listen-on-host.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  CHAIN_PRIVATE_KEYS,
  type DeployedToken,
  deployToken,
  type EvmChain,
  mint,
  startEvmChain,
} from '../support/evm-chain.ts';

const PRICE = 0.000000625; // rpc.mdx: ~$6.25e-7 a credit (the config's default)
const FUNDED_USD = 1000;
const SECRETS = ['s3cret-pass', 's3cret-dead', 'path-key-123', 'query-key-456'];
const holder = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1] as Hex);

/** A node behind Basic auth (as a hosted provider's URL with user:password@ is): forwards to the chain, counts calls. */
async function startGuardedNode(
  target: string,
): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const expected = `Basic ${Buffer.from('rpcuser:s3cret-pass').toString('base64')}`;
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    seen.push(request.url ?? '');
    if (request.headers.authorization !== expected)
      return void response.writeHead(401).end('unauthorized');
    const answer = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat(chunks),
    });
    response
      .writeHead(answer.status, { 'content-type': 'application/json' })
      .end(await answer.text());
  });
  const port = await listenOnHost(server, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, seen, close: () => stopServer(server) };
}

/** A port nothing listens on (a node that is down). */
async function deadPort(): Promise<number> {
  const server = createServer();
  const port = await listenOnHost(server, '127.0.0.1');
  await stopServer(server);
  return port;
}

describe('crypto RPC proxy', () => {
  let chain: EvmChain;
  let token: DeployedToken;
  let guarded: Awaited<ReturnType<typeof startGuardedNode>>;
  let rialto: TestRialto;
  const logLines: string[] = [];

  before(async () => {
    chain = await startEvmChain({ chainId: 84532 });
    token = await deployToken(chain);
    await mint(chain, token, holder.address, 7_654_321n);
    guarded = await startGuardedNode(chain.rpcUrl);
    const dead = await deadPort();
    rialto = await startRialto(
      {
        logLevel: 'info',
        cryptoRpc: {
          networks: {
            'base-sepolia': { nodes: [{ url: chain.rpcUrl }] },
            'ethereum-sepolia': {
              nodes: [
                { url: `http://rpcuser:s3cret-dead@127.0.0.1:${dead}/` },
                {
                  url: `http://rpcuser:s3cret-pass@${guarded.url.slice(7)}/v2/path-key-123?key=query-key-456`,
                },
              ],
            },
            'polygon-amoy': {
              nodes: [{ url: `http://rpcuser:s3cret-dead@127.0.0.1:${dead}/v2/path-key-123` }],
            },
          },
        },
      },
      {
        balanceUsd: FUNDED_USD,
        logStream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            logLines.push(chunk.toString('utf8'));
            done();
          },
        }),
      },
    );
  });
  after(async () => {
    await rialto?.close();
    await guarded?.close();
    await chain?.stop();
  });

  const rpc = (network: string, body: unknown, key: string | null = rialto.inferenceKey) =>
    fetch(`${rialto.baseURL}/crypto/rpc/${network}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
    });
  const balance = async () => (await rialto.store.accounts.find('default'))!.usdBalance;

  /** A 200 answer checked against the swagger, its credits header, and what the balance went down by. */
  async function relayed(network: string, body: unknown) {
    const before = await balance();
    const response = await rpc(network, body);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const answer: unknown = JSON.parse(text);
    const path = `/api/v1/crypto/rpc/${network}`;
    validateResponse({ method: 'POST', path, status: 200, body: answer });
    const credits = Number(response.headers.get('x-venice-rpc-credits'));
    assert.equal(response.headers.get('x-venice-rpc-cost-usd'), (credits * PRICE).toFixed(8));
    return { answer, credits, charged: before - (await balance()) };
  }

  /** A refusal: its status, its body checked against the swagger, nothing charged. */
  async function refused(network: string, body: unknown, status: number) {
    const before = await balance();
    const response = await rpc(network, body);
    const answer = (await response.json()) as { error: string };
    assert.equal(response.status, status, JSON.stringify(answer));
    validateResponse({
      method: 'POST',
      path: `/api/v1/crypto/rpc/${network}`,
      status,
      body: answer,
    });
    assert.equal(await balance(), before, 'nothing charged');
    return answer;
  }

  it('GET /crypto/rpc/networks is public: the configured slugs, sorted', async () => {
    const response = await fetch(`${rialto.baseURL}/crypto/rpc/networks`);
    const body = await response.json();
    assert.equal(response.status, 200);
    validateResponse({ method: 'GET', path: '/api/v1/crypto/rpc/networks', status: 200, body });
    assert.deepEqual(body, { networks: ['base-sepolia', 'ethereum-sepolia', 'polygon-amoy'] });
  });

  it('eth_blockNumber and eth_getBalance answer what the chain answers, at 20 credits each', async () => {
    const blockNumber = await relayed('base-sepolia', {
      jsonrpc: '2.0',
      method: 'eth_blockNumber',
      params: [],
      id: 1,
    });
    assert.deepEqual(blockNumber.answer, {
      jsonrpc: '2.0',
      id: 1,
      result: `0x${(await chain.publicClient.getBlockNumber()).toString(16)}`,
    });
    assert.equal(blockNumber.credits, 20);
    assert.equal(blockNumber.charged, toNanos(20 * PRICE));
    const wei = await relayed('base-sepolia', {
      jsonrpc: '2.0',
      method: 'eth_getBalance',
      params: [holder.address, 'latest'],
      id: 'balance',
    });
    const expected = await chain.publicClient.getBalance({ address: holder.address });
    assert.deepEqual(wei.answer, {
      jsonrpc: '2.0',
      id: 'balance',
      result: `0x${expected.toString(16)}`,
    });
  });

  it('eth_call reads the deployed token: balanceOf the holder', async () => {
    const data = encodeFunctionData({
      abi: token.abi,
      functionName: 'balanceOf',
      args: [holder.address],
    });
    const { answer, credits } = await relayed('base-sepolia', {
      jsonrpc: '2.0',
      method: 'eth_call',
      params: [{ to: token.address, data }, 'latest'],
      id: 7,
    });
    const result = (answer as { result: Hex }).result;
    assert.equal(
      decodeFunctionResult({ abi: token.abi, functionName: 'balanceOf', data: result }),
      7_654_321n,
    );
    assert.equal(credits, 20);
  });

  it('a batch: each item answered, an item the node answers with an error billed 5 credits (rpc.mdx: 20 + 5, + 20 + 5)', async () => {
    const { answer, credits, charged } = await relayed('base-sepolia', [
      { jsonrpc: '2.0', method: 'eth_chainId', params: [], id: 1 },
      { jsonrpc: '2.0', method: 'eth_getBalance', params: ['bad'], id: 2 },
      { jsonrpc: '2.0', method: 'eth_blockNumber', params: [] }, // no id: answered all the same, without one
      { jsonrpc: '2.0', method: 'eth_blockNumber', params: [[]] }, // no id, bad params (a node says id: null)
    ]);
    assert.ok(Array.isArray(answer) && answer.length === 4);
    const items = answer as { id: number; result?: string; error?: { code: unknown } }[];
    assert.equal(items.find((item) => item.id === 1)?.result, '0x14a34');
    assert.equal(typeof items.find((item) => item.id === 2)?.error?.code, 'number');
    const idless = items.filter((item) => item.id === undefined);
    assert.match(idless[0]?.result ?? '', /^0x[0-9a-f]+$/);
    assert.equal(typeof idless[1]?.error?.code, 'number');
    assert.ok(!JSON.stringify(answer).includes('stack'), "the node's stack traces are not relayed");
    assert.equal(credits, 50);
    assert.equal(charged, toNanos(50 * PRICE));
  });

  it('a batch with unsupported methods is refused whole with 400 naming each; nothing reaches the chain', async () => {
    const answer = await refused(
      'base-sepolia',
      [
        { jsonrpc: '2.0', method: 'eth_blockNumber', params: [], id: 1 },
        { jsonrpc: '2.0', method: 'eth_accounts', params: [], id: 2 },
        { jsonrpc: '2.0', method: 'eth_subscribe', params: ['newHeads'], id: 3 },
        { jsonrpc: '2.0', method: 'eth_newFilter', params: [{}], id: 4 },
      ],
      400,
    );
    assert.equal(
      answer.error,
      'Unsupported RPC methods: eth_accounts, eth_subscribe, eth_newFilter',
    );
    // Solana's methods are not relayed to an EVM network.
    const single = await refused(
      'base-sepolia',
      { jsonrpc: '2.0', method: 'getBalance', params: [], id: 1 },
      400,
    );
    assert.equal(single.error, 'Unsupported RPC method: getBalance');
  });

  it('refuses an unknown network, a batch over 100, an empty batch and a call without a method with 400', async () => {
    const call = { jsonrpc: '2.0', method: 'eth_chainId', params: [], id: 1 };
    assert.equal((await refused('bitcoin-mainnet', call, 400)).error, 'Unsupported RPC network');
    await refused(
      'base-sepolia',
      Array.from({ length: 101 }, (_, id) => ({ ...call, id })),
      400,
    );
    await refused('base-sepolia', [], 400);
    await refused('base-sepolia', { jsonrpc: '2.0', params: [] }, 400);
    await refused('base-sepolia', { jsonrpc: '1.0', method: 'eth_chainId' }, 400);
  });

  it('Idempotency-Key: the same body replays uncharged, another body is 400, a key off the pattern is 400', async () => {
    const send = (body: unknown, key: string) =>
      fetch(`${rialto.baseURL}/crypto/rpc/base-sepolia`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${rialto.inferenceKey}`,
          'idempotency-key': key,
        },
      });
    const call = { jsonrpc: '2.0', method: 'eth_blockNumber', params: [], id: 1 };
    const key = `retry-${Date.now()}`;
    const before = await balance();
    const first = await send(call, key);
    const firstBody = await first.text();
    assert.equal(first.status, 200, firstBody);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.equal(first.headers.get('x-venice-rpc-credits'), '20');
    const charged = before - (await balance());
    assert.equal(charged, toNanos(20 * PRICE));
    // A block mined in between: a replay answers the first answer, not the chain's new height.
    await chain.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
    const again = await send(call, key);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('x-venice-rpc-credits'), '0');
    assert.equal(await again.text(), firstBody);
    assert.equal(before - (await balance()), charged, 'the replay cost nothing');
    const other = await send({ ...call, id: 2 }, key);
    assert.equal(other.status, 400);
    validateResponse({
      method: 'POST',
      path: '/api/v1/crypto/rpc/base-sepolia',
      status: 400,
      body: await other.json(),
    });
    assert.equal((await send(call, 'not a valid key!')).status, 400);
  });

  it('SSRF: no request names a node; a URL, a path or an object key as the network is an unknown network', async () => {
    let reached = 0;
    const canary = createServer((_request, response) => {
      reached += 1;
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"jsonrpc":"2.0","id":0,"result":"0x1"}');
    });
    const port = await listenOnHost(canary, '127.0.0.1');
    try {
      const call = {
        jsonrpc: '2.0',
        method: 'eth_chainId',
        params: [],
        id: 1,
        url: `http://127.0.0.1:${port}/`,
      };
      for (const network of [
        encodeURIComponent(`http://127.0.0.1:${port}/`),
        encodeURIComponent(`127.0.0.1:${port}`),
        '..%2F..%2Fbase-sepolia',
        '__proto__',
        'constructor',
        'BASE-SEPOLIA',
      ])
        assert.equal((await refused(network, call, 400)).error, 'Unsupported RPC network', network);
      // A member naming a URL is not forwarded or followed: the configured node answers.
      const { answer } = await relayed('base-sepolia', call);
      assert.deepEqual(answer, { jsonrpc: '2.0', id: 1, result: '0x14a34' });
      assert.equal(reached, 0, 'the canary saw no request');
    } finally {
      await stopServer(canary);
    }
  });

  it("past the key's rate limit: 429 with X-RateLimit-Limit/-Remaining/-Reset, nothing relayed or charged", async () => {
    const limited = await startRialto({
      rateLimits: { enabled: true, overrides: { S: { requestsPerMinute: 1 } } },
      cryptoRpc: { networks: { 'base-sepolia': { nodes: [{ url: guarded.url }] } } },
    });
    try {
      const send = () =>
        fetch(`${limited.baseURL}/crypto/rpc/base-sepolia`, {
          method: 'POST',
          body: JSON.stringify({ jsonrpc: '2.0', method: 'eth_chainId', id: 1 }),
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${limited.inferenceKey}`,
          },
        });
      await (await send()).text(); // the one request a minute (the guarded node refuses it: no Basic auth)
      const seen = guarded.seen.length;
      const before = (await limited.store.accounts.find('default'))!.usdBalance;
      const response = await send();
      const body = await response.json();
      assert.equal(response.status, 429);
      validateResponse({
        method: 'POST',
        path: '/api/v1/crypto/rpc/base-sepolia',
        status: 429,
        body,
      });
      assert.equal(response.headers.get('x-ratelimit-limit'), '1');
      assert.equal(response.headers.get('x-ratelimit-remaining'), '0');
      assert.ok(Number(response.headers.get('x-ratelimit-reset')) >= Math.floor(Date.now() / 1000));
      assert.equal(guarded.seen.length, seen, 'nothing reached a node');
      assert.equal((await limited.store.accounts.find('default'))!.usdBalance, before);
    } finally {
      await limited.close();
    }
  });

  it('a bad key is 401', async () => {
    const response = await rpc(
      'base-sepolia',
      { jsonrpc: '2.0', method: 'eth_chainId', id: 1 },
      'not-a-key',
    );
    const body = await response.json();
    assert.equal(response.status, 401);
    validateResponse({
      method: 'POST',
      path: '/api/v1/crypto/rpc/base-sepolia',
      status: 401,
      body,
    });
  });

  it('a dead first node fails over to the second, reached with its URL credentials as Basic auth, path and query', async () => {
    const calls = guarded.seen.length;
    const { answer, credits } = await relayed('ethereum-sepolia', {
      jsonrpc: '2.0',
      method: 'eth_chainId',
      params: [],
      id: 1,
    });
    assert.deepEqual(answer, { jsonrpc: '2.0', id: 1, result: '0x14a34' });
    assert.equal(credits, 20);
    assert.deepEqual(guarded.seen.slice(calls), ['/v2/path-key-123?key=query-key-456']);
  });

  it('every node down: 500 RPC_NODE_FAILED, nothing charged, no credential in the answer or the log', async () => {
    const answer = await refused(
      'polygon-amoy',
      { jsonrpc: '2.0', method: 'eth_chainId', params: [], id: 1 },
      500,
    );
    assert.equal(
      answer.error,
      'The RPC request could not be completed by an upstream node. Please try again later.',
    );
    const shown = JSON.stringify(answer) + logLines.join('');
    assert.match(logLines.join(''), /RPC_NODE_FAILED/, 'the failure was logged');
    for (const secret of SECRETS) assert.ok(!shown.includes(secret), `${secret} was shown`);
  });

  it('the books: every charge a usage record of its network, adding up to the balance decrease', async () => {
    const records = await assertBooksBalance(rialto.store, FUNDED_USD);
    const rpcRecords = records.filter((record) => record.modelId.startsWith('crypto-rpc/'));
    assert.ok(rpcRecords.length >= 5);
    const total = rpcRecords.reduce((sum, record) => sum + record.amount, 0);
    assert.equal(total, toNanos(FUNDED_USD) - (await balance()));
    assert.deepEqual(
      [
        ...new Set(
          rpcRecords.filter((record) => record.amount > 0).map((record) => record.modelId),
        ),
      ].sort(),
      ['crypto-rpc/base-sepolia', 'crypto-rpc/ethereum-sepolia'],
    );
  });
});
