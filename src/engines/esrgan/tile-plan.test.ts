import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planTiles } from './tile-plan.ts';

describe('planTiles', () => {
  it('covers every pixel exactly once with cores of at most tileSize, the last row and column smaller', () => {
    const width = 100;
    const height = 70;
    const tiles = planTiles(width, height, 32, 5);
    const covered = new Uint8Array(width * height);
    for (const { core } of tiles) {
      assert.ok(core.width >= 1 && core.width <= 32 && core.height >= 1 && core.height <= 32);
      for (let y = core.y; y < core.y + core.height; y += 1)
        for (let x = core.x; x < core.x + core.width; x += 1) covered[y * width + x]! += 1;
    }
    assert.ok(covered.every((count) => count === 1));
    assert.equal(tiles.length, 4 * 3);
    assert.deepEqual(tiles.at(-1)!.core, { x: 96, y: 64, width: 4, height: 6 });
  });

  it('pads each core with real neighbours, clipped at the image edges', () => {
    const tiles = planTiles(100, 70, 32, 5);
    assert.deepEqual(tiles[0], {
      core: { x: 0, y: 0, width: 32, height: 32 },
      padded: { x: 0, y: 0, width: 37, height: 37 },
    });
    assert.deepEqual(tiles[5], {
      core: { x: 32, y: 32, width: 32, height: 32 },
      padded: { x: 27, y: 27, width: 42, height: 42 },
    });
    assert.deepEqual(tiles.at(-1)!.padded, { x: 91, y: 59, width: 9, height: 11 });
  });

  it('one tile when the image fits, whatever the padding', () => {
    assert.deepEqual(planTiles(20, 10, 32, 12), [
      {
        core: { x: 0, y: 0, width: 20, height: 10 },
        padded: { x: 0, y: 0, width: 20, height: 10 },
      },
    ]);
  });
});
