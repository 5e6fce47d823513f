import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Meter } from '../../services/billing/meter.ts';
import type { SpeechService } from '../../services/speech-service.ts';
import type { TranscriptionService } from '../../services/transcription-service.ts';
import { registerSpeechRoute } from './speech.ts';
import { registerTranscriptionRoute } from './transcriptions.ts';

export interface AudioRouteDependencies {
  speech: SpeechService;
  transcription: TranscriptionService;
  meter: Meter;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
}

/** The audio routes: POST /audio/speech, POST /audio/transcriptions. */
export function registerAudioRoutes(app: FastifyInstance, { speech, transcription, meter, auth }: AudioRouteDependencies): void {
  registerSpeechRoute(app, speech, meter, auth);
  registerTranscriptionRoute(app, transcription, meter, auth);
}
