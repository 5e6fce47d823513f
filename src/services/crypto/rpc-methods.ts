// The crypto RPC proxy's method allow-list and credit tiers (docs/api-reference/endpoint/crypto/rpc.mdx, "Supported
// methods and pricing tiers" and "Not supported"; swagger: cryptoRpcProxy). A method not listed here is refused.

/** Which node software a network runs, and so which methods its nodes answer. */
export type RpcFamily = 'evm' | 'solana' | 'starknet';

/** Credits a call costs = the network's baseCredits × this multiplier. */
export type RpcTier = 1 | 2 | 4;

const EVM_STANDARD = [
  'eth_blobBaseFee',
  'eth_blockNumber',
  'eth_call',
  'eth_chainId',
  'eth_createAccessList',
  'eth_estimateGas',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_getBalance',
  'eth_getBlockByHash',
  'eth_getBlockByNumber',
  'eth_getBlockReceipts',
  'eth_getBlockTransactionCountByHash',
  'eth_getBlockTransactionCountByNumber',
  'eth_getCode',
  'eth_getLogs',
  'eth_getProof',
  'eth_getStorageAt',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getTransactionByHash',
  'eth_getTransactionCount',
  'eth_getTransactionReceipt',
  'eth_getUncleByBlockHashAndIndex',
  'eth_getUncleByBlockNumberAndIndex',
  'eth_getUncleCountByBlockHash',
  'eth_getUncleCountByBlockNumber',
  'eth_maxPriorityFeePerGas',
  'eth_protocolVersion',
  'eth_sendRawTransaction',
  'eth_simulateV1',
  'eth_syncing',
  'net_listening',
  'net_peerCount',
  'net_version',
  'web3_clientVersion',
  'web3_sha3',
  // ERC-4337 bundler methods
  'eth_estimateUserOperationGas',
  'eth_getUserOperationByHash',
  'eth_getUserOperationReceipt',
  'eth_sendUserOperation',
  'eth_supportedEntryPoints',
];
const EVM_ADVANCED = [
  'debug_traceBlockByHash',
  'debug_traceBlockByNumber',
  'debug_traceCall',
  'debug_traceTransaction',
  'trace_block',
  'trace_call',
  'trace_callMany',
  'trace_filter',
  'trace_get',
  'trace_rawTransaction',
  'trace_transaction',
  'txpool_inspect',
  'txpool_status',
];
const EVM_LARGE = [
  'arbtrace_replayBlockTransactions',
  'arbtrace_replayTransaction',
  'trace_replayBlockTransactions',
  'trace_replayTransaction',
  'txpool_content',
];
/** Chain-family extensions of EVM networks, standard tier (zkSync Era, Linea, Polygon's Bor); arbtrace_* advanced. */
const EVM_STANDARD_PREFIXES = ['zks_', 'linea_', 'bor_'];
const EVM_ADVANCED_PREFIXES = ['arbtrace_'];

// Solana's HTTP methods (solana.com/docs/rpc/http); the *Subscribe ones are WebSocket-only and refused.
const SOLANA_STANDARD = [
  'getAccountInfo',
  'getBalance',
  'getBlock',
  'getBlockCommitment',
  'getBlockHeight',
  'getBlockProduction',
  'getBlockTime',
  'getBlocks',
  'getBlocksWithLimit',
  'getClusterNodes',
  'getEpochInfo',
  'getEpochSchedule',
  'getFeeForMessage',
  'getFirstAvailableBlock',
  'getGenesisHash',
  'getHealth',
  'getHighestSnapshotSlot',
  'getIdentity',
  'getInflationGovernor',
  'getInflationRate',
  'getInflationReward',
  'getLatestBlockhash',
  'getLeaderSchedule',
  'getMaxRetransmitSlot',
  'getMaxShredInsertSlot',
  'getMinimumBalanceForRentExemption',
  'getMultipleAccounts',
  'getProgramAccounts',
  'getRecentPerformanceSamples',
  'getRecentPrioritizationFees',
  'getSignatureStatuses',
  'getSignaturesForAddress',
  'getSlot',
  'getSlotLeader',
  'getSlotLeaders',
  'getStakeMinimumDelegation',
  'getTokenAccountBalance',
  'getTokenAccountsByDelegate',
  'getTokenAccountsByOwner',
  'getTokenLargestAccounts',
  'getTokenSupply',
  'getTransaction',
  'getTransactionCount',
  'getVersion',
  'getVoteAccounts',
  'isBlockhashValid',
  'minimumLedgerSlot',
  'requestAirdrop',
  'sendTransaction',
  'simulateTransaction',
];
const SOLANA_LARGE = ['getLargestAccounts', 'getSupply'];

function tiers(entries: [readonly string[], RpcTier][]): ReadonlyMap<string, RpcTier> {
  return new Map(
    entries.flatMap(([methods, tier]) => methods.map((method) => [method, tier] as const)),
  );
}

const EXACT: Record<RpcFamily, ReadonlyMap<string, RpcTier>> = {
  evm: tiers([
    [EVM_STANDARD, 1],
    [EVM_ADVANCED, 2],
    [EVM_LARGE, 4],
  ]),
  solana: tiers([
    [SOLANA_STANDARD, 1],
    [SOLANA_LARGE, 4],
  ]),
  starknet: new Map(),
};

const PREFIXES: Record<RpcFamily, readonly (readonly [string, RpcTier])[]> = {
  evm: [
    ...EVM_STANDARD_PREFIXES.map((prefix) => [prefix, 1] as const),
    ...EVM_ADVANCED_PREFIXES.map((prefix) => [prefix, 2] as const),
  ],
  solana: [],
  starknet: [['starknet_', 1]],
};

/** The tier of `method` on a network of `family`, or undefined when the proxy does not relay it there. */
export function methodTier(family: RpcFamily, method: string): RpcTier | undefined {
  const exact = EXACT[family].get(method);
  if (exact !== undefined) return exact;
  return PREFIXES[family].find(
    ([prefix]) => method.startsWith(prefix) && method.length > prefix.length,
  )?.[1];
}
