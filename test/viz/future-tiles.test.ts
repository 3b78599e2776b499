import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import {
  encodeFutureTiles,
  framesFromChunks,
  futureTilesImage,
  tileFrames,
  type RgbFrame,
} from '../../src/viz/future-tiles';

function solid(width: number, height: number, rgb: readonly [number, number, number]): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

const COLOURS: [number, number, number][] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [0, 255, 255],
  [255, 0, 255],
  [255, 255, 255],
  [128, 128, 128],
];

describe('viz imagined-future tiles', () => {
  it('reads one frame per chunk out of [N, 3, H, W] floats in [0, 1], clamping and zeroing NaN', () => {
    // chunk-major, then channel: f0 c0 (2 px), f0 c1, f0 c2, f1 c0, f1 c1, f1 c2
    const data = Float32Array.from([0, 1, 0.5, 2, 0.2, 0.4, -1, NaN, 1, 1, 0.1, 0.3]);
    const [f0, f1] = framesFromChunks(data, [2, 3, 1, 2]);
    assert.deepEqual(Array.from(f0!.data), [0, 128, 51, 255, 255, 102]);
    assert.deepEqual(Array.from(f1!.data), [0, 255, 26, 0, 255, 77]);
    assert.throws(() => framesFromChunks(data, [1, 4, 1, 3]), /must be \[N, 3, H, W\]/);
    assert.throws(() => framesFromChunks(data.subarray(1), [2, 3, 1, 2]), /need 12 values, got 11/);
  });

  it('encodes 8 chunks as one JPEG, 4 tiles wide with 2 px gaps', async () => {
    const frames = framesFromChunks(new Float32Array(8 * 3 * 16 * 16).fill(0.5), [8, 3, 16, 16]);
    const jpeg = await encodeFutureTiles(frames, { labels: ['+1 s'] });
    const meta = await sharp(jpeg).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 4 * 16 + 3 * 2, 2 * 16 + 2]);
  });

  it('tiles frames row by row with a black gap', () => {
    const tiled = tileFrames(
      [solid(2, 1, [10, 20, 30]), solid(2, 1, [40, 50, 60]), solid(2, 1, [70, 80, 90])],
      2,
      1,
    );
    assert.equal(tiled.width, 5);
    assert.equal(tiled.height, 3);
    const px = (x: number, y: number) =>
      Array.from(tiled.data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3));
    assert.deepEqual(px(0, 0), [10, 20, 30]);
    assert.deepEqual(px(2, 0), [0, 0, 0]);
    assert.deepEqual(px(4, 0), [40, 50, 60]);
    assert.deepEqual(px(0, 1), [0, 0, 0]);
    assert.deepEqual(px(1, 2), [70, 80, 90]);
    assert.deepEqual(px(4, 2), [0, 0, 0]);
    assert.throws(() => tileFrames([solid(2, 1, [0, 0, 0]), solid(3, 1, [0, 0, 0])], 2), /frame 1 is 3×1/);
    assert.throws(() => tileFrames([], 2), /no frames/);
  });

  it('encodes the 8 sparse chunks as one labelled JPEG whose tiles keep their colours', async () => {
    const frames = COLOURS.map((c) => solid(32, 24, c));
    const labels = ['+1 s', '+2 s', '+5 s', '+8 s', '+11 s', '+14 s', '+17 s', '+20 s'];
    const msg = await futureTilesImage(frames, {
      stampNs: 5_000_000_123n,
      frameId: 'front_camera',
      labels,
      jpegQuality: 95,
    });
    assert.equal(msg.format, 'jpeg');
    assert.deepEqual(msg.timestamp, { sec: 5, nanosec: 123 });
    const { data, info } = await sharp(msg.data).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [4 * 32 + 3 * 2, 2 * 24 + 2]);
    COLOURS.forEach((c, i) => {
      // Sample each tile's lower-right area, away from its label.
      const x = (i % 4) * 34 + 26;
      const y = Math.floor(i / 4) * 26 + 20;
      const at = (y * info.width + x) * info.channels;
      const got = [data[at]!, data[at + 1]!, data[at + 2]!];
      got.forEach((v, ch) =>
        assert.ok(Math.abs(v - c[ch]!) <= 12, `tile ${i} channel ${ch}: ${v} vs ${c[ch]}`),
      );
    });
  });
});
