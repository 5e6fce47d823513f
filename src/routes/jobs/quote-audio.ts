import type { FastifyInstance } from 'fastify';
import { parseOrThrow } from '../../errors/validation.ts';
import { quoteAudioRequest } from '../../schemas/jobs-audio.ts';
import { checkQuoteAudio } from '../../schemas/jobs-audio-checks.ts';
import { musicQuote } from '../../services/jobs/job-pricing.ts';
import type { JobRouteDependencies } from './index.ts';
import { jobModelOf } from './job-model.ts';

/**
 * POST /audio/quote (swagger: QuoteAudioRequest): `{quote}` in USD. Public (music-and-sound-effects.mdx: "The
 * quote endpoint does not require authentication"; INVENTORY §12 #9).
 */
export function registerQuoteAudioRoute(
  app: FastifyInstance,
  { registry }: JobRouteDependencies,
): void {
  app.post('/audio/quote', async (request) => {
    const body = parseOrThrow(quoteAudioRequest, request.body);
    const entry = jobModelOf(registry, body.model, 'music');
    checkQuoteAudio(entry.config, body);
    const quote = musicQuote(entry.config, {
      ...(body.duration_seconds === undefined ? {} : { durationSeconds: body.duration_seconds }),
      ...(body.character_count === undefined ? {} : { characters: body.character_count }),
    });
    return { quote: quote.usd };
  });
}
