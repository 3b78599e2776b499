import { strict as assert } from 'node:assert';
import { GeometricInputError, planFramesFromClip } from '../../../src/planner/actions/geometric';

describe('geometric action source: frames from the decoded clip', () => {
  const H = 2;
  const W = 3;
  const T = 13;
  /** Channel c of frame t holds the value that encodes (10·t + c) as a byte. */
  const clip = (): Float32Array => {
    const out = new Float32Array(3 * T * H * W);
    for (let c = 0; c < 3; c++)
      for (let t = 0; t < T; t++)
        out.fill((10 * t + c + 0.5) / 127.5 - 1, (c * T + t) * H * W, (c * T + t + 1) * H * W);
    return out;
  };

  it('takes frames 4..12 (last reference + two future chunks) as interleaved RGB bytes', () => {
    const frames = planFramesFromClip(clip(), T, H, W);
    assert.equal(frames.length, 9);
    frames.forEach((f, k) => {
      assert.deepEqual([f.width, f.height, f.rgb.length], [W, H, H * W * 3]);
      assert.deepEqual(Array.from(f.rgb.subarray(0, 3)), [10 * (k + 4), 10 * (k + 4) + 1, 10 * (k + 4) + 2]);
    });
  });

  it('clamps out-of-range values and truncates like the release writer', () => {
    const data = clip();
    data[4 * H * W] = 1.7; // red of frame 4, pixel 0
    data[4 * H * W + 1] = -3; // red of frame 4, pixel 1
    const f = planFramesFromClip(data, T, H, W)[0]!;
    assert.equal(f.rgb[0], 255);
    assert.equal(f.rgb[3], 0);
  });

  it('refuses a clip too short, of the wrong size, or with a non-finite value, naming it', () => {
    assert.throws(
      () => planFramesFromClip(new Float32Array(3 * 9 * H * W), 9, H, W),
      /has 9 frames.*decode 4 latents/,
    );
    assert.throws(() => planFramesFromClip(new Float32Array(5), T, H, W), GeometricInputError);
    const bad = clip();
    bad[(3 * T - 1) * H * W] = NaN; // blue of frame 12
    assert.throws(
      () => planFramesFromClip(bad, T, H, W),
      /decoded frame 12 has a non-finite value NaN in channel 2/,
    );
  });
});
