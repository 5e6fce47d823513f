import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  findAssociatedTokenPda,
  getMintEncoder,
  getTokenEncoder,
  TOKEN_PROGRAM_ADDRESS,
} from '@solana-program/token';
import {
  type Address,
  address,
  decompileTransactionMessage,
  getAddressEncoder,
  getBase58Decoder,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  getTransactionEncoder,
  getBase64Decoder,
  type SignatureBytes,
  verifySignature,
} from '@solana/kit';

// A Solana JSON-RPC node for tests: a real HTTP server on 127.0.0.1 answering the few methods an x402 payer and
// facilitator call (getLatestBlockhash, getAccountInfo, simulateTransaction, sendTransaction,
// getSignatureStatuses; getSlot, getSignaturesForAddress and getTransaction for Rialto's reconciliation of a top-up
// whose settlement answer was lost), in the node's own wire format (docs: solana.com/docs/rpc/http). It keeps one SPL mint and
// its token accounts in memory and executes what a payment transaction holds: ComputeBudget and Memo instructions,
// and the Token program's TransferChecked, with the runtime's checks (every signature valid on send, a blockhash it
// issued, the authority a signer and the source's owner, the mint and its decimals, the balance). Anything else
// fails as the chain fails it. No lamports, rent or fees are modelled.

const COMPUTE_BUDGET = 'ComputeBudget111111111111111111111111111111';
const MEMO = 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr';
const TRANSFER_CHECKED = 12;
// spl-token's TokenError codes (program/src/error.rs), as the runtime reports them: InstructionError [i, {Custom}].
const INSUFFICIENT_FUNDS = 1;
const MINT_MISMATCH = 3;
const OWNER_MISMATCH = 4;
const MINT_DECIMALS_MISMATCH = 18;
/** The most bytes of a request body read (a transaction is at most 1232 bytes, base64 under 2 KB). */
const MAX_BODY = 65_536;

interface TokenAccount {
  owner: Address;
  amount: bigint;
}

type TransactionError = string | { InstructionError: [number, unknown] } | null;

export interface SolanaRpcDouble {
  /** http://127.0.0.1:PORT — an RPC URL for @solana/kit's createSolanaRpc. */
  url: string;
  /** The SPL mint it holds (USDC devnet's address by default). */
  mint: Address;
  /** Creates (or tops up) `owner`'s associated token account of the mint with `amount` base units. */
  fund(owner: Address, amount: bigint): Promise<void>;
  /** The balance of `owner`'s associated token account; 0n when it has none. */
  balanceOf(owner: Address): Promise<bigint>;
  /** Signatures of the transactions landed (executed, successfully or not), in order. */
  landed: { signature: string; err: TransactionError }[];
  /** Methods called, in order. */
  methods: string[];
  close(): Promise<void>;
}

/**
 * `pageLimit`: the most signatures one getSignaturesForAddress answers (a node's is 1,000, whatever `limit` asks);
 * `laterTransactions`: after each transaction lands, that many more naming the same accounts land in the slots after
 * it, as a busy wallet's would: the same message under other signatures (what a reader of the payer's history must
 * tell from the payment is the payer's signature).
 */
export async function startSolanaRpcDouble(
  options: {
    mint?: string;
    decimals?: number;
    pageLimit?: number;
    laterTransactions?: number;
  } = {},
): Promise<SolanaRpcDouble> {
  const mint = address(options.mint ?? '4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU');
  const decimals = options.decimals ?? 6;
  const accounts = new Map<string, TokenAccount>();
  const blockhashes = new Set<string>();
  const statuses = new Map<string, { slot: number; err: TransactionError }>();
  const landed: SolanaRpcDouble['landed'] = [];
  /** What getSignaturesForAddress and getTransaction read: each landed transaction's wire bytes and accounts. */
  const ledger: {
    signature: string;
    slot: number;
    err: TransactionError;
    wire: string;
    accounts: string[];
  }[] = [];
  const methods: string[] = [];
  let slot = 1000;
  const base58 = getBase58Decoder();
  const addressBytes = getAddressEncoder();

  const ataOf = async (owner: Address) =>
    (await findAssociatedTokenPda({ mint, owner, tokenProgram: TOKEN_PROGRAM_ADDRESS }))[0];
  const supply = () => [...accounts.values()].reduce((sum, account) => sum + account.amount, 0n);

  const accountInfo = (key: string) => {
    let data: Uint8Array;
    if (key === mint)
      data = new Uint8Array(
        getMintEncoder().encode({
          mintAuthority: null,
          supply: supply(),
          decimals,
          isInitialized: true,
          freezeAuthority: null,
        }),
      );
    else {
      const account = accounts.get(key);
      if (account === undefined) return null;
      data = new Uint8Array(
        getTokenEncoder().encode({
          mint,
          owner: account.owner,
          amount: account.amount,
          delegate: null,
          state: 1,
          isNative: null,
          delegatedAmount: 0n,
          closeAuthority: null,
        }),
      );
    }
    return {
      data: [Buffer.from(data).toString('base64'), 'base64'],
      executable: false,
      lamports: 2_039_280,
      owner: TOKEN_PROGRAM_ADDRESS,
      rentEpoch: 0,
      space: data.length,
    };
  };

  /** Decodes a wire transaction; throws on bytes that are not one. */
  const decode = (base64: string) => {
    const transaction = getTransactionDecoder().decode(getBase64Encoder().encode(base64));
    const compiled = getCompiledTransactionMessageDecoder().decode(transaction.messageBytes);
    return { transaction, compiled };
  };

  /** Runs a transaction's instructions on `state` (changed in place); the runtime's error, or null. */
  const execute = (
    compiled: ReturnType<typeof decode>['compiled'],
    state: Map<string, TokenAccount>,
  ): TransactionError => {
    const message = decompileTransactionMessage(compiled);
    const signers = new Set(
      compiled.staticAccounts.slice(0, compiled.header.numSignerAccounts).map(String),
    );
    for (const [index, instruction] of message.instructions.entries()) {
      const program = String(instruction.programAddress);
      if (program === COMPUTE_BUDGET) continue;
      if (program === MEMO) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(instruction.data ?? []));
        } catch {
          return { InstructionError: [index, 'InvalidInstructionData'] };
        }
        continue;
      }
      if (program !== TOKEN_PROGRAM_ADDRESS)
        return { InstructionError: [index, 'UnsupportedProgramId'] };
      const data = instruction.data ?? new Uint8Array();
      const keys = (instruction.accounts ?? []).map((meta) => String(meta.address));
      if (data.length !== 10 || data[0] !== TRANSFER_CHECKED || keys.length < 4)
        return { InstructionError: [index, 'InvalidInstructionData'] };
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const amount = view.getBigUint64(1, true);
      const [sourceKey, mintKey, destinationKey, authority] = keys as [
        string,
        string,
        string,
        string,
      ];
      const source = state.get(sourceKey);
      const destination = state.get(destinationKey);
      if (source === undefined || destination === undefined)
        return { InstructionError: [index, 'InvalidAccountData'] };
      if (mintKey !== mint) return { InstructionError: [index, { Custom: MINT_MISMATCH }] };
      if (data[9] !== decimals)
        return { InstructionError: [index, { Custom: MINT_DECIMALS_MISMATCH }] };
      if (!signers.has(authority)) return { InstructionError: [index, 'MissingRequiredSignature'] };
      if (source.owner !== authority)
        return { InstructionError: [index, { Custom: OWNER_MISMATCH }] };
      if (source.amount < amount)
        return { InstructionError: [index, { Custom: INSUFFICIENT_FUNDS }] };
      source.amount -= amount;
      destination.amount += amount;
    }
    return null;
  };

  const copyState = () =>
    new Map([...accounts].map(([key, account]) => [key, { ...account }] as const));

  /** Every signer's signature present and valid over the message (the runtime's sanitize step). */
  const signaturesValid = async (transaction: ReturnType<typeof decode>['transaction']) => {
    for (const [signer, signature] of Object.entries(transaction.signatures)) {
      if (signature === null) return false;
      const key = await crypto.subtle.importKey(
        'raw',
        new Uint8Array(addressBytes.encode(address(signer))),
        'Ed25519',
        false,
        ['verify'],
      );
      if (!(await verifySignature(key, signature as SignatureBytes, transaction.messageBytes)))
        return false;
    }
    return true;
  };

  class RpcError extends Error {
    constructor(
      readonly code: number,
      message: string,
    ) {
      super(message);
    }
  }

  const call = async (method: string, params: unknown[]): Promise<unknown> => {
    const context = { slot, apiVersion: '2.2.0' };
    switch (method) {
      case 'getLatestBlockhash': {
        const blockhash = base58.decode(randomBytes(32));
        blockhashes.add(blockhash);
        return { context, value: { blockhash, lastValidBlockHeight: slot + 150 } };
      }
      case 'getAccountInfo': {
        const key = params[0];
        const config = (params[1] ?? {}) as { encoding?: string };
        if (typeof key !== 'string') throw new RpcError(-32602, 'Invalid params: address');
        if (config.encoding !== 'base64')
          throw new RpcError(-32602, `Invalid params: encoding ${config.encoding} not served`);
        return { context, value: accountInfo(key) };
      }
      case 'simulateTransaction': {
        const config = (params[1] ?? {}) as {
          sigVerify?: boolean;
          replaceRecentBlockhash?: boolean;
        };
        const { transaction, compiled } = decodeParam(params[0]);
        let err: TransactionError = null;
        if (config.sigVerify && !(await signaturesValid(transaction)))
          throw new RpcError(-32003, 'Transaction signature verification failure');
        if (!config.replaceRecentBlockhash && !blockhashes.has(compiled.lifetimeToken))
          err = 'BlockhashNotFound';
        else err = execute(compiled, copyState());
        return {
          context,
          value: { err, logs: [], accounts: null, unitsConsumed: 6_200, returnData: null },
        };
      }
      case 'sendTransaction': {
        const { transaction, compiled } = decodeParam(params[0]);
        if (!(await signaturesValid(transaction)))
          throw new RpcError(-32003, 'Transaction signature verification failure');
        if (!blockhashes.has(compiled.lifetimeToken))
          throw new RpcError(-32002, 'Transaction simulation failed: Blockhash not found');
        const first = Object.values(transaction.signatures)[0] as Uint8Array;
        const signature = base58.decode(first);
        // The status cache: a transaction already processed is not executed again.
        if (statuses.has(signature)) return signature;
        const state = copyState();
        const err = execute(compiled, state);
        if (err === null) for (const [key, account] of state) accounts.set(key, account);
        slot += 1;
        statuses.set(signature, { slot, err });
        landed.push({ signature, err });
        const named = compiled.staticAccounts.map(String);
        ledger.push({ signature, slot, err, wire: String(params[0]), accounts: named });
        for (let later = 0; later < (options.laterTransactions ?? 0); later++) {
          const fresh = Object.keys(transaction.signatures).map(
            (key) => [key, new Uint8Array(randomBytes(64))] as const,
          );
          const other = { ...transaction, signatures: Object.fromEntries(fresh) };
          slot += 1;
          ledger.push({
            signature: base58.decode(fresh[0]![1]),
            slot,
            err: null,
            wire: getBase64Decoder().decode(getTransactionEncoder().encode(other as never)),
            accounts: named,
          });
        }
        return signature;
      }
      case 'getSignatureStatuses': {
        const signatures = params[0];
        if (!Array.isArray(signatures) || signatures.length > 256)
          throw new RpcError(-32602, 'Invalid params: signatures');
        return {
          context,
          value: signatures.map((signature) => {
            const status = statuses.get(String(signature));
            if (status === undefined) return null;
            return {
              slot: status.slot,
              confirmations: null,
              err: status.err,
              status: status.err === null ? { Ok: null } : { Err: status.err },
              confirmationStatus: 'finalized',
            };
          }),
        };
      }
      case 'getSlot':
        return slot;
      case 'getSignaturesForAddress': {
        // Newest first, as a node answers: the transactions that name the address among their accounts.
        const key = String(params[0]);
        const { limit = 1000, before } = (params[1] ?? {}) as { limit?: number; before?: string };
        const newestFirst = ledger.filter((entry) => entry.accounts.includes(key)).reverse();
        // `before`: the page starts after that signature (older ones); an unknown one gives none.
        const start =
          before === undefined
            ? 0
            : newestFirst.findIndex((entry) => entry.signature === before) + 1 ||
              newestFirst.length;
        return newestFirst
          .slice(start, start + Math.min(limit, options.pageLimit ?? 1000))
          .map((entry) => ({
            signature: entry.signature,
            slot: entry.slot,
            err: entry.err,
            memo: null,
            blockTime: null,
            confirmationStatus: 'finalized',
          }));
      }
      case 'getTransaction': {
        const entry = ledger.find((candidate) => candidate.signature === String(params[0]));
        if (entry === undefined) return null;
        return {
          slot: entry.slot,
          blockTime: null,
          version: 0,
          transaction: [entry.wire, 'base64'],
          meta: {
            err: entry.err,
            status: entry.err === null ? { Ok: null } : { Err: entry.err },
            fee: 5000,
            preBalances: [],
            postBalances: [],
            logMessages: [],
          },
        };
      }
      default:
        throw new RpcError(-32601, 'Method not found');
    }
  };

  const decodeParam = (value: unknown) => {
    if (typeof value !== 'string' || value.length > 4096)
      throw new RpcError(-32602, 'Invalid params: transaction');
    try {
      return decode(value);
    } catch {
      throw new RpcError(-32602, 'invalid transaction: failed to deserialize');
    }
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on('end', async () => {
      const send = (body: unknown) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      let body: { id?: unknown; method?: unknown; params?: unknown };
      try {
        if (size > MAX_BODY) throw new Error('too large');
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      }
      const id = body.id ?? null;
      const method = typeof body.method === 'string' ? body.method : '';
      methods.push(method);
      try {
        const params = Array.isArray(body.params) ? body.params : [];
        send({ jsonrpc: '2.0', id, result: await call(method, params) });
      } catch (error) {
        const code = error instanceof RpcError ? error.code : -32603;
        send({ jsonrpc: '2.0', id, error: { code, message: (error as Error).message } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    mint,
    landed,
    methods,
    async fund(owner, amount) {
      const key = await ataOf(owner);
      const account = accounts.get(key) ?? { owner, amount: 0n };
      account.amount += amount;
      accounts.set(key, account);
    },
    async balanceOf(owner) {
      return accounts.get(await ataOf(owner))?.amount ?? 0n;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
