import type { ParserConfig } from '../../config/parser-config.ts';
import type { ErrorCode } from '../../errors/codes.ts';

/** What a parser process is given when it starts (its one argument, as JSON). */
export type ParserProcessLimits = Pick<ParserConfig, 'archive' | 'html'>;

/** One job for a parser process. */
export type ParserJob =
  | { kind: 'document'; bytes: Uint8Array; filename?: string; contentType?: string }
  | { kind: 'page'; html: string; url: string };

export interface ParserRequest {
  id: number;
  job: ParserJob;
}

/** A process's answers: ready once its modules are loaded, then one answer per job. */
export type ParserReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; text: string }
  /** The input's own fault, as the VeniceError the parser threw (status, message and body rebuilt from them). */
  | {
      type: 'refused';
      id: number;
      code: ErrorCode;
      message: string;
      extra: Record<string, unknown>;
    }
  /** Anything else the parser threw. */
  | { type: 'failed'; id: number; message: string };
