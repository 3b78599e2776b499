import { futureChunkTimes } from '../../src/planner/plan';
import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import {
  framesFromChunks,
  futureFramesFromChunks,
  encodeFutureFrames,
  futureLabel,
  renderStrip,
  stripLayout,
  textWidth,
  tileFrames,
  type RgbFrame,
} from '../../src/imaging/future-strip';

const TIMES = [1, 2, 5, 8, 11, 14, 17, 20];

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

describe('imaging: the imagined-future strip', () => {
  it('reads one frame per chunk out of [N, 3, H, W] floats in [0, 1], clamping and zeroing NaN', () => {
    // chunk-major, then channel: f0 c0 (2 px), f0 c1, f0 c2, f1 c0, f1 c1, f1 c2
    const data = Float32Array.from([0, 1, 0.5, 2, 0.2, 0.4, -1, NaN, 1, 1, 0.1, 0.3]);
    const [f0, f1] = framesFromChunks(data, [2, 3, 1, 2]);
    assert.deepEqual(Array.from(f0!.data), [0, 128, 51, 255, 255, 102]);
    assert.deepEqual(Array.from(f1!.data), [0, 255, 26, 0, 255, 77]);
    assert.throws(() => framesFromChunks(data, [1, 4, 1, 3]), /must be \[N, 3, H, W\]/);
    assert.throws(() => framesFromChunks(data.subarray(1), [2, 3, 1, 2]), /need 12 values, got 11/);
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

  it('turns decoded chunks into frames at the release offsets’ real times, from [0, 1] or [-1, 1] output', () => {
    assert.deepEqual(futureChunkTimes([0, 1, 4, 7, 10, 13, 16, 19]), TIMES);
    const data = Float32Array.from([-1, 0, 1, 1, 0, -1]); // 2 chunks, 3 channels, 1×1
    const signed = futureFramesFromChunks(data, [2, 3, 1, 1], [1, 2], 'signed');
    assert.deepEqual(
      signed.map((f) => [Array.from(f.rgb), f.width, f.height, f.timeS]),
      [
        [[0, 128, 255], 1, 1, 1],
        [[255, 128, 0], 1, 1, 2],
      ],
    );
    const unit = futureFramesFromChunks(Float32Array.from([0, 0.5, 1]), [1, 3, 1, 1], [20]);
    assert.deepEqual(Array.from(unit[0]!.rgb), [0, 128, 255]);
    assert.throws(() => futureFramesFromChunks(data, [2, 3, 1, 1], [1]), /2 future frames but 1 times/);
  });

  it('labels frames with their real time after the reference', () => {
    assert.deepEqual([1, 2, 5, 8, 11, 14, 17, 20, 2.5, 0.04, -1].map(futureLabel), [
      '+1 s',
      '+2 s',
      '+5 s',
      '+8 s',
      '+11 s',
      '+14 s',
      '+17 s',
      '+20 s',
      '+2.5 s',
      '+0 s',
      '-1 s',
    ]);
  });

  it('lays 8 tiny 32×32 frames out as 256 px tiles, 4 wide, each with a label band below it', () => {
    const layout = stripLayout(new Array(8).fill({ width: 32, height: 32 }), TIMES.map(futureLabel));
    assert.deepEqual([layout.tileWidth, layout.tileHeight, layout.glyphScale], [256, 256, 4]);
    // Band: 7 glyph rows + one above and below, at 4 px per glyph pixel.
    assert.deepEqual([layout.width, layout.height], [4 * 256 + 3 * 4, 2 * (256 + 36) + 4]);
    const t5 = layout.tiles[5]!;
    assert.deepEqual([t5.x, t5.y, t5.label], [260, 296, '+14 s']);
    assert.equal(t5.labelY, 296 + 256 + 4, 'label below the picture, not on it');
    assert.equal(t5.labelX, 260 + (256 - textWidth('+14 s', 4)) / 2);
    // Text 28 px tall on a 256 px tile: still 14 px when Foxglove shows the strip at half size.
    const official = stripLayout([{ width: 256, height: 256 }], ['+1 s']);
    assert.deepEqual([official.tileWidth, official.glyphScale], [256, 4]);
  });

  it('renders each tile in its colour with white label text only inside the band below it', () => {
    const frames = COLOURS.map((c) => solid(32, 32, c));
    const image = renderStrip(frames, TIMES.map(futureLabel));
    const layout = stripLayout(frames, TIMES.map(futureLabel));
    const px = (x: number, y: number) =>
      Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
    layout.tiles.forEach((t, i) => {
      // The whole picture keeps its colour (corners and centre): the label does not cover it.
      for (const [dx, dy] of [
        [0, 0],
        [255, 0],
        [128, 128],
        [0, 255],
        [255, 255],
      ] as const)
        assert.deepEqual(px(t.x + dx, t.y + dy), COLOURS[i], `tile ${i} at +${dx},+${dy}`);
      let ink = 0;
      for (let y = t.y + 256; y < t.y + 256 + 36; y++)
        for (let x = t.x; x < t.x + 256; x++) {
          const [r, g, b] = px(x, y);
          assert.ok((r === 0 && g === 0 && b === 0) || (r === 255 && g === 255 && b === 255));
          if (r === 255) ink++;
        }
      assert.ok(ink > 200, `label ${t.label}: only ${ink} px of ink`);
    });
    assert.throws(() => renderStrip([solid(2, 2, [0, 0, 0])], ['+1 h']), /no glyph for 'h'/);
    assert.throws(() => renderStrip([{ width: 2, height: 2, data: new Uint8Array(5) }], []), /holds 5 bytes/);
  });

  it('encodes the planner’s future frames as one JPEG, each tile in its colour', async () => {
    const frames = COLOURS.map((c, k) => {
      const f = solid(32, 32, c);
      return { rgb: f.data, width: 32, height: 32, timeS: TIMES[k]! };
    });
    const jpeg = await encodeFutureFrames(frames, { jpegQuality: 95 });
    assert.deepEqual([jpeg[0], jpeg[1]], [0xff, 0xd8], 'not a JPEG (no SOI marker)');
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [1036, 588]);
    COLOURS.forEach((c, i) => {
      const x = (i % 4) * 260 + 128;
      const y = Math.floor(i / 4) * 296 + 128;
      const at = (y * info.width + x) * info.channels;
      [data[at]!, data[at + 1]!, data[at + 2]!].forEach((v, ch) =>
        assert.ok(Math.abs(v - c[ch]!) <= 12, `tile ${i} channel ${ch}: ${v} vs ${c[ch]}`),
      );
    });
  });
});
