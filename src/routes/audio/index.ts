import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { AudioLimits } from '../../config/media-limits-config.ts';
import type { Meter } from '../../services/billing/meter.ts';
import type { ModelRegistry } from '../../services/model-registry.ts';
import { SpeechService } from '../../services/speech-service.ts';
import { TranscriptionService } from '../../services/transcription-service.ts';
import { registerSpeechRoute } from './speech.ts';
import { registerTranscriptionRoute } from './transcriptions.ts';

/** The audio routes: POST /audio/speech, POST /audio/transcriptions. */
export function registerAudioRoutes(app: FastifyInstance, registry: ModelRegistry, meter: Meter, auth: onRequestAsyncHookHandler, audioLimits: AudioLimits): void {
  registerSpeechRoute(app, new SpeechService(registry), meter, auth);
  registerTranscriptionRoute(app, new TranscriptionService(registry, audioLimits), meter, auth);
}
