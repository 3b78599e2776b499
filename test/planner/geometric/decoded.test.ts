import { strict as assert } from 'node:assert';
import { LAST_REFERENCE_FRAME, LATENTS_FOR_PLAN, PLAN_FRAMES } from '../../../src/planner/actions/geometric';
import { rgbFrame } from '../../../src/planner/stages/decode';
import { NonFiniteOutput } from '../../../src/planner/stages/video';

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
  const frame = (data: Float32Array, t: number) => rgbFrame(data, t, T, H * W);

  it('reads frames 4..12 (last reference + two future chunks), all inside the 4 latents it decodes', () => {
    assert.deepEqual([LAST_REFERENCE_FRAME, PLAN_FRAMES], [4, 9]);
    assert.equal(1 + 4 * (LATENTS_FOR_PLAN - 1), LAST_REFERENCE_FRAME + PLAN_FRAMES);
  });

  it('turns each frame into interleaved RGB bytes', () => {
    const data = clip();
    for (let k = 0; k < PLAN_FRAMES; k++) {
      const rgb = frame(data, LAST_REFERENCE_FRAME + k);
      assert.equal(rgb.length, H * W * 3);
      assert.deepEqual(Array.from(rgb.subarray(0, 3)), [10 * (k + 4), 10 * (k + 4) + 1, 10 * (k + 4) + 2]);
    }
  });

  it('clamps out-of-range values and truncates like the release writer', () => {
    const data = clip();
    data[4 * H * W] = 1.7; // red of frame 4, pixel 0
    data[4 * H * W + 1] = -3; // red of frame 4, pixel 1
    const rgb = frame(data, 4);
    assert.equal(rgb[0], 255);
    assert.equal(rgb[3], 0);
  });

  it('refuses a non-finite value, naming the frame of the clip, the channel and the pixel', () => {
    const bad = clip();
    bad[(3 * T - 1) * H * W] = NaN; // blue of frame 12, pixel 0
    assert.throws(
      () => frame(bad, 12),
      (e: Error) =>
        e instanceof NonFiniteOutput &&
        /decoded frame 12 has a non-finite value NaN in channel 2 at pixel 0/.test(e.message),
    );
    assert.throws(() => rgbFrame(bad, 12, T, H * W, 40), /decoded frame 40 has a non-finite value/);
  });
});
