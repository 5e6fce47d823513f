import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { SpeechService } from '../../services/speech-service.ts';
import type { TranscriptionService } from '../../services/transcription-service.ts';
import { registerSpeechRoute } from './speech.ts';
import { registerTranscriptionRoute } from './transcriptions.ts';

export interface AudioRouteDependencies {
  speech: SpeechService;
  transcription: TranscriptionService;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
}

/** The audio routes: POST /audio/speech, POST /audio/transcriptions. */
export function registerAudioRoutes(
  app: FastifyInstance,
  { speech, transcription, auth }: AudioRouteDependencies,
): void {
  registerSpeechRoute(app, speech, auth);
  registerTranscriptionRoute(app, transcription, auth);
}
