import { VeniceError } from '../../errors/venice-error.ts';
import type { ProviderContentPolicyErrorBody } from '../../schemas/jobs-errors.ts';

/**
 * swagger: ProviderContentPolicyError, the 422 of /video/retrieve (and music) when the engine refused the job
 * under its content policy: a nested body `{error: {message, type: "provider_content_policy", credits_refunded}}`.
 */
export class ProviderContentPolicyError extends VeniceError {
  constructor(
    readonly creditsRefunded: boolean,
    readonly recommendedModel?: string,
  ) {
    super('CONTENT_POLICY_VIOLATION', {
      message: `The selected model provider rejected this request due to its content policies.${creditsRefunded ? ' Credits have been refunded.' : ''}`,
    });
  }

  override toBody(): ProviderContentPolicyErrorBody {
    return {
      error: {
        message: this.message,
        type: 'provider_content_policy',
        credits_refunded: this.creditsRefunded,
        ...(this.recommendedModel === undefined
          ? {}
          : { recommended_model: this.recommendedModel }),
      },
    };
  }
}
