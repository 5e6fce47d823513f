import { z } from 'zod';
import { invalidRequest } from '../errors/validation.ts';

/**
 * Problems found checking a job request against its model (not against the wire schema). They are
 * reported as the schema's own are: one 400 DetailedError with zod's `details` and `issues`.
 */
export class ModelIssues {
  private readonly issues: z.core.$ZodIssue[] = [];

  add(field: string, message: string, input?: unknown): void {
    this.issues.push({ code: 'custom', path: [field], message, input });
  }

  /** Throws the 400 when anything was found. */
  throwIfAny(): void {
    if (this.issues.length > 0) throw invalidRequest(new z.ZodError(this.issues));
  }
}
