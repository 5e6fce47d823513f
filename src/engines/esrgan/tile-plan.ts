/** A rectangle of pixels: left, top, width, height. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One tile: the `core` it contributes to the output, and the `padded` input the model sees around it. */
export interface Tile {
  core: Region;
  padded: Region;
}

/**
 * Cuts a width × height image into tiles of at most tileSize × tileSize core pixels, row by row. Each
 * tile's model input is its core plus `padding` pixels of real neighbours on every side (clipped at the
 * image's edges): a convolutional network whose receptive field reaches no further than `padding` then
 * sees the same context for every core pixel as it would on the whole image, so the tiles join without
 * seams.
 */
export function planTiles(
  width: number,
  height: number,
  tileSize: number,
  padding: number,
): Tile[] {
  const tiles: Tile[] = [];
  for (let y = 0; y < height; y += tileSize) {
    for (let x = 0; x < width; x += tileSize) {
      const core = {
        x,
        y,
        width: Math.min(tileSize, width - x),
        height: Math.min(tileSize, height - y),
      };
      const left = Math.max(0, x - padding);
      const top = Math.max(0, y - padding);
      const right = Math.min(width, core.x + core.width + padding);
      const bottom = Math.min(height, core.y + core.height + padding);
      tiles.push({ core, padded: { x: left, y: top, width: right - left, height: bottom - top } });
    }
  }
  return tiles;
}
