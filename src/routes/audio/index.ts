import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { SpeechService } from '../../services/speech-service.ts';
import type { TranscriptionService } from '../../services/transcription-service.ts';
import { registerSpeechRoute } from './speech.ts';
import { registerTranscriptionRoute } from './transcriptions.ts';
import { registerVoicesRoute } from './voices.ts';
import type { VoiceService } from '../../services/voices/voice-service.ts';

export interface AudioRouteDependencies {
  speech: SpeechService;
  transcription: TranscriptionService;
  voices: VoiceService;
  /** The inference key check (onRequest hook). */
  auth: onRequestAsyncHookHandler;
}

/** The audio routes: POST /audio/speech, POST /audio/transcriptions, POST /audio/voices (+ DELETE /audio/voices/{id}). */
export function registerAudioRoutes(
  app: FastifyInstance,
  { speech, transcription, voices, auth }: AudioRouteDependencies,
): void {
  registerSpeechRoute(app, speech, auth);
  registerTranscriptionRoute(app, transcription, auth);
  registerVoicesRoute(app, voices, auth);
}
