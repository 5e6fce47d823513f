import {
  type CompleteSIWxInfo,
  encodeBase58,
  formatSIWEMessage,
  formatSIWSMessage,
  type SIWxPayload,
  SIWxPayloadSchema,
} from '@x402/extensions/sign-in-with-x';
import { SiweMessage } from 'siwe';
import { z } from 'zod';

/**
 * The SIGN-IN-WITH-X header decoded into the x402 sign-in-with-x extension's payload, from either form:
 * - Venice's (swagger: securitySchemes.siwx): base64 JSON `{address, message, signature, timestamp, chainId, type?}`
 *   where `message` is the signed EIP-4361 (EVM) or Solana SIWS text; its fields are parsed out and the message
 *   rebuilt from them must equal the signed text byte for byte (INVENTORY A.1), so what is checked is what was signed.
 * - x402's (@x402/extensions sign-in-with-x): base64 JSON of the fields themselves (SIWxPayloadSchema).
 * Returns undefined for anything else. Bounded: the header is capped by the caller, JSON only (no eval of input).
 */

/** The most characters of a SIWx header read; Node's header limit (16 KB) bounds it anyway. */
export const MAX_SIWX_HEADER = 8192;

const veniceForm = z.object({
  address: z.string().max(64),
  message: z.string().min(1).max(4096),
  signature: z.string().min(1).max(1024),
  timestamp: z.number().optional(),
  // swagger: 8453 | "8453" | "eip155:8453" | "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
  chainId: z.union([z.number().int().positive(), z.string().max(64)]),
  type: z.string().max(16).optional(),
});

function caip2Of(chainId: number | string): string {
  const text = String(chainId);
  return /^[0-9]+$/.test(text) ? `eip155:${text}` : text;
}

/** Solana SIWS (formatSIWSMessage's grammar): header line, address, optional statement, then `Key: value` lines. */
function parseSolanaMessage(message: string): Omit<SIWxPayload, 'chainId' | 'signature' | 'type'> {
  const lines = message.split('\n');
  const domain = /^(.+) wants you to sign in with your Solana account:$/.exec(lines[0] ?? '')?.[1];
  const address = lines[1];
  if (domain === undefined || address === undefined || lines[2] !== '')
    throw new Error('not a SIWS message');
  let index = 3;
  let statement: string | undefined;
  if (lines[index] !== undefined && !lines[index]!.startsWith('URI: ')) {
    statement = lines[index];
    index += 2;
  }
  const fields = new Map<string, string>();
  const resources: string[] = [];
  for (const line of lines.slice(index)) {
    if (line.startsWith('- ')) resources.push(line.slice(2));
    else if (line !== 'Resources:') {
      const colon = line.indexOf(': ');
      if (colon < 0) throw new Error('not a SIWS message');
      fields.set(line.slice(0, colon), line.slice(colon + 2));
    }
  }
  const required = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined) throw new Error(`SIWS message without ${key}`);
    return value;
  };
  return {
    domain,
    address,
    ...(statement === undefined ? {} : { statement }),
    uri: required('URI'),
    version: required('Version'),
    nonce: required('Nonce'),
    issuedAt: required('Issued At'),
    ...optional('expirationTime', fields.get('Expiration Time')),
    ...optional('notBefore', fields.get('Not Before')),
    ...optional('requestId', fields.get('Request ID')),
    ...(resources.length > 0 ? { resources } : {}),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

/** The text a payload's fields make (what its signer signed), by the extension's own formatters. */
export function messageOf(payload: SIWxPayload): string {
  const info: CompleteSIWxInfo = {
    domain: payload.domain,
    uri: payload.uri,
    version: payload.version,
    chainId: payload.chainId,
    type: payload.type,
    nonce: payload.nonce,
    issuedAt: payload.issuedAt,
    ...optional('statement', payload.statement),
    ...optional('expirationTime', payload.expirationTime),
    ...optional('notBefore', payload.notBefore),
    ...optional('requestId', payload.requestId),
    ...(payload.resources === undefined ? {} : { resources: payload.resources }),
  };
  return payload.chainId.startsWith('solana:')
    ? formatSIWSMessage(info, payload.address)
    : formatSIWEMessage(info, payload.address);
}

function fromVeniceForm(form: z.infer<typeof veniceForm>): SIWxPayload | undefined {
  const chainId = caip2Of(form.chainId);
  if (chainId.startsWith('eip155:')) {
    const parsed = new SiweMessage(form.message);
    const payload: SIWxPayload = {
      domain: parsed.domain,
      address: parsed.address,
      ...optional('statement', parsed.statement),
      uri: parsed.uri,
      version: parsed.version,
      chainId: `eip155:${parsed.chainId}`,
      type: 'eip191',
      nonce: parsed.nonce,
      issuedAt: parsed.issuedAt ?? '',
      ...optional('expirationTime', parsed.expirationTime),
      ...optional('notBefore', parsed.notBefore),
      ...optional('requestId', parsed.requestId),
      ...(parsed.resources === undefined ? {} : { resources: parsed.resources }),
      signature: form.signature,
    };
    // The header's chain and address must be the message's.
    if (payload.chainId !== chainId) return undefined;
    if (payload.address.toLowerCase() !== form.address.toLowerCase()) return undefined;
    return messageOf(payload) === form.message ? payload : undefined;
  }
  if (chainId.startsWith('solana:')) {
    const payload: SIWxPayload = {
      ...parseSolanaMessage(form.message),
      chainId,
      type: 'ed25519',
      signature: solanaSignature(form.signature),
    };
    if (payload.address !== form.address) return undefined;
    return messageOf(payload) === form.message ? payload : undefined;
  }
  return undefined;
}

/** Solana signatures come in base58 or base64 (swagger); x402's verifier reads base58. 64 bytes in base64 end in "==". */
function solanaSignature(signature: string): string {
  if (!signature.endsWith('=')) return signature;
  return encodeBase58(Buffer.from(signature, 'base64'));
}

export function decodeSiwxHeader(header: string): SIWxPayload | undefined {
  if (header.length > MAX_SIWX_HEADER || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(header)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const venice = veniceForm.safeParse(json);
  if (venice.success) {
    try {
      return fromVeniceForm(venice.data);
    } catch {
      return undefined;
    }
  }
  const x402 = SIWxPayloadSchema.safeParse(json);
  return x402.success ? x402.data : undefined;
}
