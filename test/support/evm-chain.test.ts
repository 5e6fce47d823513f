import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Hex, parseSignature, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  balanceOf,
  CHAIN_PRIVATE_KEYS,
  type DeployedToken,
  deployToken,
  type EvmChain,
  mint,
  startEvmChain,
  walletFor,
} from './evm-chain.ts';

// EIP-3009 typed data, as Circle's FiatTokenV2 and x402's exact scheme sign it.
const TRANSFER_TYPES = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

let chain: EvmChain;
let token: DeployedToken;
const payer = privateKeyToAccount(CHAIN_PRIVATE_KEYS[1] as Hex);
const payee = privateKeyToAccount(CHAIN_PRIVATE_KEYS[2] as Hex);

before(async () => {
  chain = await startEvmChain({ chainId: 84532 });
  token = await deployToken(chain);
  await mint(chain, token, payer.address, 5_000_000n);
});
after(() => chain.stop());

async function signTransfer(value: bigint, nonce: Hex, signer = payer) {
  const message = {
    from: payer.address,
    to: payee.address,
    value,
    validAfter: 0n,
    validBefore: BigInt(Math.floor(Date.now() / 1000) + 600),
    nonce,
  };
  const signature = await signer.signTypedData({
    domain: token.domain,
    types: TRANSFER_TYPES,
    primaryType: 'TransferWithAuthorization',
    message,
  });
  return { message, signature };
}

async function submit(
  message: Awaited<ReturnType<typeof signTransfer>>['message'],
  signature: Hex,
) {
  const relayer = walletFor(chain, 3); // a third party pays the gas, as a facilitator does
  const { v, r, s } = parseSignature(signature);
  return relayer.writeContract({
    address: token.address,
    abi: token.abi,
    functionName: 'transferWithAuthorization',
    args: [
      message.from,
      message.to,
      message.value,
      message.validAfter,
      message.validBefore,
      message.nonce,
      Number(v),
      r,
      s,
    ],
  });
}

test('the chain answers its own JSON-RPC with the configured chain id, the token its USDC-like metadata', async () => {
  assert.equal(await chain.publicClient.getChainId(), 84532);
  const read = (functionName: string) =>
    chain.publicClient.readContract({ address: token.address, abi: token.abi, functionName });
  assert.equal(await read('name'), 'USD Coin');
  assert.equal(await read('version'), '2');
  assert.equal(await read('decimals'), 6);
  assert.equal(await balanceOf(chain, token, payer.address), 5_000_000n);
});

test('an EIP-3009 transfer signed with viem signTypedData moves the tokens; its replay reverts', async () => {
  const nonce = toHex(randomBytes(32));
  const { message, signature } = await signTransfer(1_250_000n, nonce);
  const payeeBefore = await balanceOf(chain, token, payee.address);
  const hash = await submit(message, signature);
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
  assert.equal(await balanceOf(chain, token, payee.address), payeeBefore + 1_250_000n);
  const used = await chain.publicClient.readContract({
    address: token.address,
    abi: token.abi,
    functionName: 'authorizationState',
    args: [payer.address, nonce],
  });
  assert.equal(used, true);
  await assert.rejects(submit(message, signature), /authorization is used or canceled/);
});

test('a transfer signed by another key than `from` reverts and moves nothing', async () => {
  const { message, signature } = await signTransfer(1_000n, toHex(randomBytes(32)), payee);
  const before = await balanceOf(chain, token, payer.address);
  await assert.rejects(submit(message, signature), /invalid signature/);
  assert.equal(await balanceOf(chain, token, payer.address), before);
});
