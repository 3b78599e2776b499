import { futureChunkTimes } from '../../src/planner/plan';
import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import {
  encodeFutureFrames,
  futureLabel,
  renderStrip,
  stripLayout,
  textWidth,
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
  it('gives the release offsets’ future chunks their real times after the reference', () => {
    assert.deepEqual(futureChunkTimes([0, 1, 4, 7, 10, 13, 16, 19]), TIMES);
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

  it('refuses an empty set of frames', async () => {
    await assert.rejects(encodeFutureFrames([]), /no frames to tile/);
  });
});
