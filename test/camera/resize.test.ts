import { strict as assert } from 'node:assert';
import { centreSquareResize } from '../../src/camera/resize';
import { readFixture } from '../official-fixtures';

describe('centre square crop + resize (the release: cv2.resize INTER_LINEAR on uint8)', () => {
  it('reproduces the official sampled frames bit for bit (24×32 → crop 24×24 → 32×32)', () => {
    const e2e = readFixture('e2e.safetensors');
    const raw = e2e.get('raw_frames_rgb_u8')!;
    const sampled = e2e.get('sampled_frames_u8')!.data as Uint8Array;
    const [, height, width] = raw.shape as [number, number, number];
    const frameBytes = height * width * 3;
    // fps 10 → the release keeps every 2nd frame: 17 frames.
    for (let i = 0; i < 17; i++) {
      const rgb = (raw.data as Uint8Array).subarray(2 * i * frameBytes, (2 * i + 1) * frameBytes);
      const out = centreSquareResize({ rgb, width, height }, 32);
      assert.deepEqual(out.rgb, sampled.subarray(i * 3072, (i + 1) * 3072), `frame ${i}`);
    }
  });

  it('takes the centred square of a landscape image (1280×720 → columns 280…999)', () => {
    const width = 1280;
    const height = 720;
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) rgb[(y * width + x) * 3] = x >= 280 && x < 1000 ? 200 : 10;
    }
    const out = centreSquareResize({ rgb, width, height }, 256);
    assert.equal(out.width, 256);
    for (let i = 0; i < 256 * 256; i++) assert.equal(out.rgb[i * 3], 200, `pixel ${i}`);
  });

  it('keeps a uniform image uniform when shrinking and growing', () => {
    for (const [w, h, size] of [
      [640, 480, 256],
      [20, 30, 64],
    ] as const) {
      const out = centreSquareResize({ rgb: new Uint8Array(w * h * 3).fill(77), width: w, height: h }, size);
      assert.ok(out.rgb.every((v) => v === 77));
    }
  });

  it('refuses a buffer shorter than its stated size', () => {
    assert.throws(
      () => centreSquareResize({ rgb: new Uint8Array(10), width: 4, height: 4 }, 8),
      /needs 48 bytes, got 10/,
    );
  });
});
