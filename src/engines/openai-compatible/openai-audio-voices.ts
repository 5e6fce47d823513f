import { z } from 'zod';
import { fieldsOf, readAnswer } from '../upstream/upstream-answer.ts';
import type { UpstreamPool } from '../upstream/upstream-pool.ts';

/**
 * OpenAI's built-in voices of tts-1 and tts-1-hd (node_modules/openai/resources/audio/speech.d.ts lists
 * these plus verse, marin and cedar, which only gpt-4o-mini-tts speaks): what an upstream without a voice
 * list (OpenAI itself, openedai-speech) is taken to offer.
 */
export const OPENAI_VOICES: readonly string[] = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'nova',
  'onyx',
  'sage',
  'shimmer',
];

/** After a failed discovery (upstream down, 5xx), the next try waits this long. */
const RETRY_MS = 30_000;
const DISCOVERY_TIMEOUT_MS = 5000;

/** A voice by name, or an object with its `id`; anything else is no voice. */
const voiceName = z
  .union([z.string(), z.object({ id: z.string() }).transform((voice) => voice.id)])
  .optional()
  .catch(undefined);
const voiceList = z.object({ voices: z.array(voiceName) });

/**
 * The names in GET /audio/voices: Kokoro-FastAPI answers `{"voices": [{"id", "name"}]}`, and before 0.3
 * (or with ?legacy=true) `{"voices": ["af_heart", …]}` (api/src/routers/openai_compatible.py, list_voices).
 */
export function voicesOf(body: unknown): string[] | undefined {
  const names = fieldsOf(voiceList, body)?.voices.filter(
    (name): name is string => name !== undefined && name !== '',
  );
  return names !== undefined && names.length > 0 ? [...new Set(names)] : undefined;
}

/**
 * The voices a tts model on an upstream offers: the model's configured `voices` when set; else what the
 * upstream lists at GET <endpoint>/audio/voices (Kokoro-FastAPI), asked at start; else OpenAI's voices.
 * An upstream that answers that route with a 4xx has no list (OpenAI, openedai-speech): the defaults stay.
 * One that cannot be reached (or answers 5xx) is asked again, at most every 30 s, whenever the list is
 * read or health is checked; until then the defaults are offered.
 */
export class UpstreamVoices {
  private discovered: string[] | undefined;
  private settled = false;
  private nextTry = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly configured: readonly string[] | undefined,
  ) {
    this.settled = configured !== undefined;
  }

  list(): readonly string[] {
    if (this.configured !== undefined) return this.configured;
    void this.discover();
    return this.discovered ?? OPENAI_VOICES;
  }

  /** Asks the endpoints for their voices unless settled or tried within the last 30 s. Never throws. */
  discover(): Promise<void> {
    if (this.settled || Date.now() < this.nextTry) return Promise.resolve();
    this.pending ??= this.ask().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async ask(): Promise<void> {
    for (const endpoint of this.pool.order()) {
      try {
        const response = await endpoint.pool.request({
          method: 'GET',
          path: `${endpoint.basePath}/audio/voices`,
          headers: { accept: 'application/json', ...endpoint.authorization },
          signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
        });
        const body = await readAnswer(response);
        if (response.statusCode >= 500) continue;
        this.settled = true;
        if (response.statusCode < 300) this.discovered = voicesOf(body);
        return;
      } catch {}
    }
    this.nextTry = Date.now() + RETRY_MS;
  }
}
