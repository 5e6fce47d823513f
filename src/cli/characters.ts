import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { characterImportFile } from '../schemas/character-admin.ts';
import { CharacterService } from '../services/character-service.ts';
import type { Store } from '../storage/store.ts';

/**
 * `rialto characters import FILE`: a YAML or JSON list of characters (or `{ characters: [...] }`), each with its
 * systemPrompt, created or overwritten by slug. The whole file is validated before anything is written.
 */
export async function importCharacters(store: Store, path: string): Promise<string> {
  const text = readFileSync(path, 'utf8');
  // YAML 1.2 reads JSON too.
  const parsed = characterImportFile.safeParse(parseYaml(text));
  if (!parsed.success)
    throw new Error(`${path} is not a valid character file:\n${z.prettifyError(parsed.error)}`);
  const { created, updated } = await new CharacterService(store).import(parsed.data);
  return `Imported ${parsed.data.length} characters from ${path}: ${created.length} created, ${updated.length} updated.\n`;
}

/** `rialto characters list`: every character, public or not, one a line. */
export async function listCharacters(store: Store): Promise<string> {
  const records = await new CharacterService(store).all();
  return records
    .map(
      (record) =>
        `${record.slug}  ${record.public ? 'public ' : 'private'}  ${record.modelId}  ${record.name}\n`,
    )
    .join('');
}
