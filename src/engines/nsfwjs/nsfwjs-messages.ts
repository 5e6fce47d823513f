/** The models that ship inside the nsfwjs package (its `load` names): 224 px inputs, InceptionV3 299 px. */
export type NsfwjsModelName = 'MobileNetV2' | 'MobileNetV2Mid' | 'InceptionV3';

/** main → worker: classify one RGB image (3 bytes a pixel, at the model's input size). */
export interface ClassifyRequest {
  id: number;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** worker → main: per class (Drawing, Hentai, Neutral, Porn, Sexy), a probability; they sum to 1. */
export type ClassifierReply =
  | { type: 'ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'scores'; id: number; scores: Record<string, number> }
  | { type: 'failed'; id: number; message: string };
