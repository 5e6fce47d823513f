import { VeniceError } from '../../errors/venice-error.ts';

/** The client's 400 for a URL Rialto will not or could not fetch: `Could not fetch <field>: <why>`, the reason under details. */
export function fetchRefused(field: string, why: string): VeniceError {
  return new VeniceError('INVALID_REQUEST', {
    message: `Could not fetch ${field}: ${why}`,
    extra: { details: { [field]: { _errors: [why] } } },
  });
}
