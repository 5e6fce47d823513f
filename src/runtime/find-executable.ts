import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `command` itself when it names a path, else the first executable file of that name on PATH; undefined if none. */
export function findExecutable(command: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter((folder) => folder !== '')
        .map((folder) => join(folder, command));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}
