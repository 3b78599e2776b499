import { strict as assert } from 'node:assert';
import {
  CameraContract,
  decodeCompressedImage,
  describeCover,
  type CameraObservation,
} from '../../src/camera';
import { defaultConfig } from '../../src/config';
import { compressedImage, halves } from './images';

const MS = 1_000_000n;
const resolution = { height: 256, width: 256 };

function contract(
  type: 'sensor_msgs/msg/Image' | 'sensor_msgs/msg/CompressedImage' = 'sensor_msgs/msg/Image',
) {
  return new CameraContract({
    topic: '/camera/image_raw',
    type,
    resolution,
    mountHeightM: 0.32,
    mountPitchRad: -0.1,
  });
}

function frames(hz: number, n: number, shape: Omit<CameraObservation, 'stampNs'>, t0 = 10_000n * MS) {
  return Array.from({ length: n }, (_, i) => ({
    ...shape,
    stampNs: t0 + BigInt(Math.round((i * 1000) / hz)) * MS,
  }));
}

const go2 = { encoding: 'bgr8', width: 1280, height: 720 };

describe('camera contract', () => {
  it('reports once, on the 5th frame, the encoding, size, measured rate, resize and mount of a good camera', () => {
    const c = contract();
    const reports = frames(15, 30, go2).map((f) => c.observe(f));
    assert.deepEqual(reports.slice(0, 4), [undefined, undefined, undefined, undefined]);
    const first = reports[4]!;
    assert.equal(first.ok, true);
    assert.equal(
      first.message,
      'camera /camera/image_raw (sensor_msgs/msg/Image): bgr8 1280×720 at 15.0 Hz → model 256×256 ' +
        '(cover ×0.356, centre crop 560×0 source px); mount 0.32 m, pitch -0.10 rad; ok',
    );
    assert.deepEqual(reports.slice(5), Array(25).fill(undefined));
    assert.equal(c.report, first);
  });

  it('flags a camera slower than the 4 FPS the model needs, and reports again when it recovers', () => {
    const c = contract();
    const slow = frames(2, 6, go2)
      .map((f) => c.observe(f))
      .filter(Boolean);
    assert.equal(slow.length, 1);
    assert.equal(slow[0]!.ok, false);
    assert.match(
      slow[0]!.message,
      /at 2\.0 Hz .*PROBLEM: camera rate 2\.0 Hz is below the 4 FPS the model needs/,
    );
    const fast = frames(10, 20, go2, 20_000n * MS)
      .map((f) => c.observe(f))
      .filter(Boolean);
    assert.equal(fast.length, 1);
    assert.equal(fast[0]!.ok, true);
  });

  it('does not re-report while a slow rate merely fluctuates', () => {
    const c = contract();
    let t = 10_000n * MS;
    const reports = [];
    for (let i = 0; i < 40; i++) {
      t += BigInt(i % 2 === 0 ? 260 : 300) * MS; // 3.6 Hz ± a little
      reports.push(c.observe({ ...go2, stampNs: t }));
    }
    assert.equal(reports.filter(Boolean).length, 1);
  });

  it('accepts a 4 Hz camera whose stamps jitter slightly slow (within 5 %)', () => {
    const c = contract();
    const reports = frames(3.9, 10, go2)
      .map((f) => c.observe(f))
      .filter(Boolean);
    assert.equal(reports[0]!.ok, true);
  });

  it('reports a change of size or encoding at once', () => {
    const c = contract();
    frames(15, 10, go2).forEach((f) => c.observe(f));
    const changed = c.observe({ encoding: 'rgb8', width: 640, height: 480, stampNs: 20_000n * MS });
    assert.ok(changed);
    assert.match(changed.message, /rgb8 640×480 at rate not measured yet/);
    const measured = frames(15, 10, { encoding: 'rgb8', width: 640, height: 480 }, 20_066n * MS)
      .map((f) => c.observe(f))
      .filter(Boolean);
    assert.equal(measured.length, 1);
    assert.match(measured[0]!.message, /rgb8 640×480 at 15\.0 Hz/);
  });

  it('reports stamps going backwards each time they do', () => {
    const c = contract();
    frames(15, 10, go2).forEach((f) => c.observe(f));
    const back = c.observe({ ...go2, stampNs: 9_000n * MS });
    assert.equal(back?.ok, false);
    assert.match(back!.message, /PROBLEM: stamps went backwards: 9\.000 s after 10\.600 s/);
  });

  it('refuses frames too small to plan on at the first frame, like an unsupported encoding', async () => {
    const first = contract().observe({ encoding: 'bgr8', width: 1, height: 1, stampNs: 1n });
    assert.equal(first?.ok, false);
    assert.match(
      first!.message,
      /PROBLEM: frames of 1×1 are too small to plan on \(at least 32×32 for the model's 256×256\)/,
    );
    const edge = contract().observe({ encoding: 'bgr8', width: 32, height: 32, stampNs: 1n });
    assert.equal(edge, undefined, 'the smallest accepted size is no immediate problem');
    const jpeg = await compressedImage(halves(1, 1, [1, 2, 3], [1, 2, 3]), 1, 1, 'jpeg');
    await assert.rejects(
      decodeCompressedImage(jpeg, { topic: '/camera/image_raw/compressed', resolution }),
      /too small to plan on/,
    );
  });

  it('rejects an encoding the decoder cannot read on the very first frame', () => {
    const first = contract().observe({ encoding: 'yuv422', width: 1280, height: 720, stampNs: 1n });
    assert.equal(first?.ok, false);
    assert.match(first!.message, /PROBLEM: encoding "yuv422" is not supported \(use rgb8, bgr8, mono8/);
    const compressed = contract('sensor_msgs/msg/CompressedImage').observe({
      encoding: 'h264',
      width: 1,
      height: 1,
      stampNs: 1n,
    });
    assert.match(compressed!.message, /compressed format "h264" is not supported \(use jpeg or png\)/);
  });

  it('warns that 320×180 frames (the raw fixture bag) are upscaled, from a decoded JPEG', async () => {
    const c = contract('sensor_msgs/msg/CompressedImage');
    let report;
    for (let i = 0; i < 5; i++) {
      const msg = await compressedImage(
        halves(320, 180, [0, 0, 0], [255, 255, 255]),
        320,
        180,
        'jpeg',
        BigInt(i) * 100n * MS,
      );
      const frame = await decodeCompressedImage(msg, { topic: '/camera/image_raw/compressed', resolution });
      report = c.observe({ ...frame.source, stampNs: frame.stampNs });
    }
    assert.equal(report?.ok, true);
    assert.deepEqual(report?.warnings, ["frames 320×180 are upscaled to the model's 256×256 (blurry input)"]);
    assert.match(report!.message, /jpeg 320×180 at 10\.0 Hz .*; ok, but frames 320×180 are upscaled/);
  });

  it('is built from the camera section of the config', () => {
    const c = CameraContract.fromConfig(defaultConfig().camera, resolution);
    const r = frames(10, 5, go2).map((f) => c.observe(f))[4];
    assert.match(
      r!.message,
      /^camera \/camera\/image_raw \(sensor_msgs\/msg\/Image\).*mount 0\.30 m, pitch 0\.00 rad; ok$/,
    );
  });

  it('describes the cover crop of other aspect ratios', () => {
    assert.equal(describeCover(640, 480, resolution), 'cover ×0.533, centre crop 160×0 source px');
    assert.equal(describeCover(256, 256, resolution), 'cover ×1.000, centre crop 0×0 source px');
  });
});
