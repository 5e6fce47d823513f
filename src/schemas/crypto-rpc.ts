import { z } from 'zod';

// swagger: cryptoRpcProxy's request body (not strict: unknown members of an item are dropped, not refused).

/** One JSON-RPC 2.0 call. `params` is an array in the swagger; `id` an integer or a string. */
export const jsonRpcCall = z.object({
  jsonrpc: z.literal('2.0').optional(),
  method: z.string().min(1).max(256),
  params: z.array(z.unknown()).optional(),
  id: z.union([z.number().int(), z.string().max(256)]).optional(),
});

/** A single call or a batch of 1 to 100 (rpc.mdx: "An array of up to **100** JSON-RPC 2.0 objects"). */
export const cryptoRpcRequest = z.union([jsonRpcCall, z.array(jsonRpcCall).min(1).max(100)]);

export type JsonRpcCall = z.infer<typeof jsonRpcCall>;
