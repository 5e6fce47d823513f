import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ganache from 'ganache';
import {
  type Abi,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/**
 * A real EVM chain in this process for tests (ganache 7: hardhat 3 needs Node 22): a JSON-RPC HTTP server on
 * 127.0.0.1, funded accounts from fixed private keys, and TestUsdc (test/fixtures/test-usdc.sol), a USDC-like
 * ERC-20 with EIP-3009 and EIP-712 domain { name: "USD Coin", version: "2" }, compiled with solc and deployed
 * with viem.
 */

/** Fixed private keys of the funded accounts (10,000 ETH each); index 0 deploys the token and owns its mint. */
export const CHAIN_PRIVATE_KEYS: readonly Hex[] = [
  '0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63',
  '0xc87509a1c067bbde78beb793e6fa76530b6382a4c0241e5e4a9ec0a0f44dc0d3',
  '0xae6ae8e5ccbfb04590405997ee2d52d2b330726137b875053c36d94e974d162f',
  '0x0dbbe8e4ae425a6d2687f1a7e3ba17bc98c673636790f1b8ad91193c05875ef1',
  '0xc88b703fb08cbea894b6aeff5a544fb92e78a18e19814cd85da83b71f772aa6c',
];

export const TOKEN_DECIMALS = 6;

export interface EvmChain {
  /** http://127.0.0.1:PORT — the chain's own JSON-RPC endpoint. */
  rpcUrl: string;
  chainId: number;
  /** A viem chain object for this chain (native currency ETH, rpcUrl as its default RPC). */
  chain: Chain;
  publicClient: PublicClient;
  /** Stops the server; pending requests are dropped. */
  stop(): Promise<void>;
}

export interface StartChainOptions {
  /** EIP-155 chain id; default 84532 (Base Sepolia). */
  chainId?: number;
  /** Private keys to fund; default CHAIN_PRIVATE_KEYS. */
  privateKeys?: readonly Hex[];
}

/** Starts ganache on 127.0.0.1 at a free port; every transaction is mined at once (instamine). */
export async function startEvmChain(options: StartChainOptions = {}): Promise<EvmChain> {
  const chainId = options.chainId ?? 84532;
  const balance = `0x${(10_000n * 10n ** 18n).toString(16)}`;
  const server = ganache.server({
    chain: { chainId, hardfork: 'shanghai' },
    logging: { quiet: true },
    wallet: {
      accounts: (options.privateKeys ?? CHAIN_PRIVATE_KEYS).map((secretKey) => ({
        secretKey,
        balance,
      })),
    },
  });
  await server.listen(0, '127.0.0.1');
  const address = server.address();
  const rpcUrl = `http://127.0.0.1:${address.port}`;
  const chain = defineChain({
    id: chainId,
    name: `ganache-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) });
  return { rpcUrl, chainId, chain, publicClient, stop: () => server.close() };
}

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

const SOLC_SETTINGS = { optimizer: { enabled: true, runs: 200 }, evmVersion: 'shanghai' } as const;

/**
 * Compiles test/fixtures/<file> with the solc package and returns `contractName`'s ABI and bytecode. The artifact
 * is cached in os.tmpdir() by a hash of the source, compiler version and settings (solc's WebAssembly compile
 * takes seconds; the cache makes later processes start in milliseconds).
 */
export function compileFixture(file: string, contractName: string): CompiledContract {
  const source = readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8');
  const require = createRequire(import.meta.url);
  const solcVersion: string = require('solc/package.json').version;
  const hash = createHash('sha256')
    .update(JSON.stringify([source, solcVersion, SOLC_SETTINGS, contractName]))
    .digest('hex')
    .slice(0, 24);
  const folder = join(tmpdir(), 'rialto-solc-cache');
  const cached = join(folder, `${contractName}-${hash}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as CompiledContract;
  } catch {
    // not cached yet (or unreadable): compile below
  }
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: source } },
    settings: {
      ...SOLC_SETTINGS,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((entry) => entry.severity === 'error');
  if (errors.length > 0)
    throw new Error(`solc: ${errors.map((entry) => entry.formattedMessage).join('\n')}`);
  const contract = output.contracts?.[file]?.[contractName];
  if (!contract) throw new Error(`solc: no contract ${contractName} in ${file}`);
  const compiled: CompiledContract = {
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
  };
  mkdirSync(folder, { recursive: true });
  const temporary = `${cached}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(compiled));
  renameSync(temporary, cached); // atomic: a parallel test process reads either nothing or the whole file
  return compiled;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

export interface DeployedToken {
  address: Address;
  abi: Abi;
  /** The EIP-712 domain the token verifies signatures under (x402 `extra: { name, version }`). */
  domain: { name: string; version: string; chainId: number; verifyingContract: Address };
}

/** Deploys TestUsdc ("USD Coin", symbol USDC unless given) from CHAIN_PRIVATE_KEYS[0]; waits for the receipt. */
export async function deployToken(
  chain: EvmChain,
  name = 'USD Coin',
  symbol = 'USDC',
): Promise<DeployedToken> {
  const { abi, bytecode } = compileFixture('test-usdc.sol', 'TestUsdc');
  const wallet = deployer(chain);
  const hash = await wallet.deployContract({ abi, bytecode, args: [name, symbol] });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error('deployToken: the receipt has no contract address');
  const address = receipt.contractAddress;
  return {
    address,
    abi,
    domain: { name, version: '2', chainId: chain.chainId, verifyingContract: address },
  };
}

/** Mints `amount` base units (6 decimals: 1_000_000n is 1 token) to `to`; waits for the receipt. */
export async function mint(
  chain: EvmChain,
  token: DeployedToken,
  to: Address,
  amount: bigint,
): Promise<void> {
  const hash = await deployer(chain).writeContract({
    address: token.address,
    abi: token.abi,
    functionName: 'mint',
    args: [to, amount],
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`mint reverted (${hash})`);
}

/** The token balance of `holder`, in base units. */
export async function balanceOf(
  chain: EvmChain,
  token: DeployedToken,
  holder: Address,
): Promise<bigint> {
  const balance = await chain.publicClient.readContract({
    address: token.address,
    abi: token.abi,
    functionName: 'balanceOf',
    args: [holder],
  });
  if (typeof balance !== 'bigint') throw new Error('balanceOf: not a uint256');
  return balance;
}

/** A viem wallet client for CHAIN_PRIVATE_KEYS[index] (or any private key) on this chain. */
export function walletFor(chain: EvmChain, key: Hex | number = 0) {
  const privateKey = typeof key === 'number' ? CHAIN_PRIVATE_KEYS[key] : key;
  if (!privateKey) throw new Error(`walletFor: no private key at ${String(key)}`);
  return createWalletClient({
    account: privateKeyToAccount(privateKey),
    chain: chain.chain,
    transport: http(chain.rpcUrl),
  });
}

function deployer(chain: EvmChain) {
  return walletFor(chain, 0);
}
