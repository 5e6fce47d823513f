import { z } from 'zod';

// swagger: WebSearchRequest, NOT strict (INVENTORY §0 "Strict bodies"): unknown keys are ignored. `limit` out of
// 1..20 is a 400, not clamped (INVENTORY §1 row 40).
export const webSearchRequest = z.object({
  query: z.string().min(1).max(400),
  limit: z.number().int().min(1).max(20).default(10),
  search_provider: z.enum(['google', 'brave']).optional(),
});
export type WebSearchRequest = z.infer<typeof webSearchRequest>;

// swagger: WebScrapeRequest (url: format uri), NOT strict.
export const webScrapeRequest = z.object({
  url: z.url(),
});
