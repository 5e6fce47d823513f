// `rialto characters import FILE` and `rialto characters list`, run as the operator runs them, then read back
// through the API of a `rialto serve` on the same data folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RIALTO_BIN, spawnRialto } from '../support/spawn-rialto.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';

function rialto(
  args: string[],
  config: string,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [RIALTO_BIN, ...args, '--config', config], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const YAML_FILE = `
- slug: sage
  name: The Sage
  description: Speaks in riddles
  systemPrompt: |
    You are the Sage. Answer in riddles.
  modelId: llama3.2
  tags: [Wisdom, Riddles]
  categories: [philosophy]
  featured: true
  stats: { imports: 12 }
- slug: backstage
  name: Backstage
  systemPrompt: You are not for the public.
  modelId: llama3.2
  public: false
`;

test('rialto characters import creates and then updates characters by slug; list shows them; the API serves the public ones', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'rialto-cli-characters-'));
  try {
    const config = join(directory, 'rialto.yaml');
    writeFileSync(config, 'server:\n  port: 0\ndataDirectory: ./data\nlogLevel: info\n');
    writeFileSync(join(directory, 'characters.yaml'), YAML_FILE);
    const imported = rialto(['characters', 'import', join(directory, 'characters.yaml')], config);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /Imported 2 characters from .*: 2 created, 0 updated\./);

    // JSON too, in the { characters: [...] } form: sage is overwritten, a third one is new.
    writeFileSync(
      join(directory, 'more.json'),
      JSON.stringify({
        characters: [
          {
            slug: 'sage',
            name: 'The Old Sage',
            systemPrompt: 'You are the old Sage.',
            modelId: 'llama3.2',
            tags: ['Wisdom'],
          },
          { slug: 'jester', name: 'Jester', systemPrompt: 'You joke.', modelId: 'other-model' },
        ],
      }),
    );
    const updated = rialto(['characters', 'import', join(directory, 'more.json')], config);
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stdout, /: 1 created, 1 updated\./);

    const listed = rialto(['characters', 'list'], config);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split('\n'), [
      'backstage  private  llama3.2  Backstage',
      'jester  public   other-model  Jester',
      'sage  public   llama3.2  The Old Sage',
    ]);

    // A bad file writes nothing and names the bad field.
    writeFileSync(
      join(directory, 'bad.yaml'),
      '- slug: new-one\n  name: New\n  modelId: m\n- slug: other\n  name: O\n  systemPrompt: p\n  modelId: m\n  rating: 5\n',
    );
    const bad = rialto(['characters', 'import', join(directory, 'bad.yaml')], config);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /systemPrompt/);
    assert.match(bad.stderr, /rating/);
    assert.equal(rialto(['characters', 'list'], config).stdout.includes('new-one'), false);
    assert.equal(rialto(['characters', 'import'], config).status, 1);

    const key = rialto(['keys', 'create', '--type', 'INFERENCE'], config).stdout.trim();
    const { child: server, url } = await spawnRialto(config);
    try {
      const get = async (
        path: string,
      ): Promise<{ status: number; body: Record<string, unknown> }> => {
        const response = await fetch(`${url}${path}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        const body = (await response.json()) as Record<string, unknown>;
        validateResponse({ method: 'GET', path, status: response.status, body });
        return { status: response.status, body };
      };
      const sage = await get('/characters/sage');
      assert.equal(sage.status, 200);
      const data = sage.body.data as Record<string, unknown>;
      // Overwritten by the second file: fields it left out are back to their defaults; the counters it did not give stay.
      assert.deepEqual(
        [
          data.name,
          data.tags,
          data.description,
          data.featured,
          (data.stats as Record<string, unknown>).imports,
        ],
        ['The Old Sage', ['Wisdom'], null, false, 12],
      );
      assert.ok(!JSON.stringify(sage.body).includes('old Sage.'), 'the persona is never shown');
      assert.equal((await get('/characters/backstage')).status, 404);
      const list = await get('/characters');
      assert.deepEqual(
        (list.body.data as { slug: string }[]).map((character) => character.slug).sort(),
        ['jester', 'sage'],
      );
    } finally {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
