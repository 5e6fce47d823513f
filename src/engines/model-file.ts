import { isAbsolute, join } from 'node:path';

/** A model file's path as configured (a GGUF, an .onnx): absolute, or relative to the models folder. */
export function modelFilePath(path: string, modelsDirectory: string): string {
  return isAbsolute(path) ? path : join(modelsDirectory, path);
}
