import type { ErrorCode } from '../../errors/codes.ts';
import { VeniceError } from '../../errors/venice-error.ts';

type X402Code = Extract<ErrorCode, `X402_${string}`>;

/**
 * A refused top-up, in the body POST /x402/top-up declares for 400 and 500 (swagger):
 * `{error: <machine code>, message: <human text>, details?: {reason, …}}` (INVENTORY §4.2 "x402 top-up error").
 */
export class X402PaymentError extends VeniceError {
  constructor(
    code: X402Code,
    readonly details?: Record<string, unknown>,
    cause?: unknown,
  ) {
    super(code, cause === undefined ? {} : { cause });
  }

  override toBody(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}
