import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { encodeFutureFrames } from '../../src/imaging/future-strip';
import { futureFramesImage } from '../../src/viz/future-tiles';

describe('viz imagined-future message', () => {
  const frames = [1, 2, 5].map((timeS, k) => ({
    rgb: new Uint8Array(16 * 16 * 3).fill(80 * k),
    width: 16,
    height: 16,
    timeS,
  }));

  it('wraps the imaging strip as a Foxglove JPEG stamped with the plan, in the camera frame', async () => {
    const msg = await futureFramesImage(frames, { stampNs: 5_000_000_123n, frameId: 'front_camera' });
    assert.equal(msg.format, 'jpeg');
    assert.equal(msg.frame_id, 'front_camera');
    assert.deepEqual(msg.timestamp, { sec: 5, nanosec: 123 });
    assert.deepEqual(Buffer.from(msg.data), Buffer.from(await encodeFutureFrames(frames)));
    const info = await sharp(msg.data).metadata();
    assert.deepEqual([info.width, info.height], [3 * 256 + 2 * 4, 256 + 9 * 4]);
  });

  it('refuses an empty set of frames with the strip’s error', async () => {
    await assert.rejects(futureFramesImage([], { stampNs: 0n, frameId: 'c' }), /no frames to tile/);
  });
});
