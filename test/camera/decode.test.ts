import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import {
  CameraFrameError,
  decodeCameraMessage,
  decodeCompressedImage,
  decodeImage,
  toModelInput,
} from '../../src/camera';
import type { Image } from '../../src/messages/ros';
import { compressedImage, halves, near, pixel, rawImage, type Rgb } from './images';

const resolution = { height: 256, width: 256 };
const opts = { topic: '/camera/image_raw', resolution };
const RED: Rgb = [220, 30, 20];
const BLUE: Rgb = [10, 40, 230];

async function rejection(promise: Promise<unknown>): Promise<CameraFrameError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CameraFrameError, `expected CameraFrameError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the frame to be rejected');
}

describe('camera decode: raw sensor_msgs/Image', () => {
  it('turns a 1280×720 bgr8 frame into the 256×256 centre square, red left and blue right', async () => {
    const frame = await decodeImage(rawImage(halves(1280, 720, RED, BLUE), 1280, 720), opts);
    assert.equal(frame.width, 256);
    assert.equal(frame.height, 256);
    assert.equal(frame.rgb.length, 256 * 256 * 3);
    assert.equal(frame.stampNs, 1_500_000_000n);
    assert.deepEqual(frame.source, {
      topic: '/camera/image_raw',
      encoding: 'bgr8',
      width: 1280,
      height: 720,
    });
    assert.deepEqual(pixel(frame.rgb, 256, 10, 128), RED);
    assert.deepEqual(pixel(frame.rgb, 256, 245, 128), BLUE);
  });

  it('gives the same pixels for rgb8 and bgr8 renderings of one picture', async () => {
    const picture = halves(320, 180, RED, BLUE);
    const fromBgr = await decodeImage(rawImage(picture, 320, 180, { encoding: 'bgr8' }), opts);
    const fromRgb = await decodeImage(rawImage(picture, 320, 180, { encoding: 'rgb8' }), opts);
    assert.deepEqual(Buffer.from(fromBgr.rgb), Buffer.from(fromRgb.rgb));
  });

  it('ignores the padding at the end of each row (step larger than width × 3)', async () => {
    const picture = halves(320, 180, RED, BLUE);
    const packed = await decodeImage(rawImage(picture, 320, 180), opts);
    const padded = await decodeImage(rawImage(picture, 320, 180, { step: 320 * 3 + 64, pad: 0xff }), opts);
    assert.deepEqual(Buffer.from(padded.rgb), Buffer.from(packed.rgb));
  });

  it('spreads mono8 grey over the three channels', async () => {
    const frame = await decodeImage(
      rawImage(halves(64, 36, [40, 40, 40], [200, 200, 200]), 64, 36, { encoding: 'mono8' }),
      opts,
    );
    assert.deepEqual(pixel(frame.rgb, 256, 5, 100), [40, 40, 40]);
    assert.deepEqual(pixel(frame.rgb, 256, 250, 100), [200, 200, 200]);
  });

  it('reads little-endian mono16 by its high byte', async () => {
    const mono8 = rawImage(halves(64, 36, [40, 40, 40], [200, 200, 200]), 64, 36, { encoding: 'mono8' });
    const data = Buffer.alloc(64 * 36 * 2);
    for (let i = 0; i < 64 * 36; i++) data.writeUInt16LE(mono8.data[i]! * 257, 2 * i);
    const mono16: Image = { ...mono8, encoding: 'mono16', step: 128, data };
    const a = await decodeImage(mono16, opts);
    const b = await decodeImage(mono8, opts);
    assert.deepEqual(Buffer.from(a.rgb), Buffer.from(b.rgb));
  });

  it('keeps only the centred square of a 16:9 frame (280 source px cut from each side)', async () => {
    // Red bands 4 px inside each edge of the square's neighbourhood: the crop starts at column 280.
    const w = 1280;
    const h = 720;
    const rgb = halves(w, h, [0, 200, 0], [0, 200, 0]);
    for (let y = 0; y < h; y++) {
      for (const x of [0, 1, 2, 3, 276, 277, 278, 279, 1000, 1001, w - 2, w - 1])
        rgb.set([255, 0, 0], (y * w + x) * 3);
    }
    const frame = await decodeImage(rawImage(rgb, w, h), opts);
    for (const x of [0, 255])
      assert.ok(near(pixel(frame.rgb, 256, x, 128), [0, 200, 0], 8), `column ${x} is not cropped`);
  });

  it('names topic, stamp, encoding and sizes when the encoding is unknown', async () => {
    const msg = {
      ...rawImage(halves(8, 4, RED, BLUE), 8, 4, { stampNs: 12_500_000_000n }),
      encoding: 'yuv422',
    };
    const err = await rejection(decodeImage(msg, opts));
    assert.equal(
      err.message,
      'camera frame on /camera/image_raw at 12.500000000 s (encoding "yuv422", 8×4, step 24, 96 bytes): ' +
        'unsupported encoding; supported: rgb8, bgr8, mono8, rgb16, bgr16, mono16 (raw) or jpeg/png (compressed)',
    );
  });

  it('rejects data shorter than step × height, a step shorter than a row, and zero sizes', async () => {
    const msg = rawImage(halves(8, 4, RED, BLUE), 8, 4);
    assert.match(
      (await rejection(decodeImage({ ...msg, data: msg.data.subarray(0, 95) }, opts))).message,
      /95 bytes\): data holds 95 bytes, less than step × height = 96$/,
    );
    assert.match(
      (await rejection(decodeImage({ ...msg, step: 20 }, opts))).message,
      /step 20 is shorter than a row of 24 bytes$/,
    );
    assert.match(
      (await rejection(decodeImage({ ...msg, width: 0 }, opts))).message,
      /0×4.*zero width or height$/,
    );
  });

  it('rejects big-endian 16-bit data', async () => {
    const msg: Image = {
      ...rawImage(halves(8, 4, RED, BLUE), 8, 4),
      encoding: 'rgb16',
      step: 48,
      is_bigendian: 1,
      data: Buffer.alloc(192),
    };
    assert.match(
      (await rejection(decodeImage(msg, opts))).message,
      /big-endian 16-bit data is not supported/,
    );
  });
});

describe('camera decode: sensor_msgs/CompressedImage', () => {
  it('decodes a 640×360 JPEG (the compressed fixture bag format) to 256×256 RGB', async () => {
    const msg = await compressedImage(halves(640, 360, RED, BLUE), 640, 360, 'jpeg');
    const frame = await decodeCompressedImage(msg, opts);
    assert.equal(frame.width, 256);
    assert.equal(frame.height, 256);
    assert.deepEqual(frame.source, { topic: '/camera/image_raw', encoding: 'jpeg', width: 640, height: 360 });
    assert.ok(near(pixel(frame.rgb, 256, 20, 128), RED, 12), `left pixel ${pixel(frame.rgb, 256, 20, 128)}`);
    assert.ok(
      near(pixel(frame.rgb, 256, 235, 128), BLUE, 12),
      `right pixel ${pixel(frame.rgb, 256, 235, 128)}`,
    );
  });

  it('decodes PNG losslessly and accepts image_transport format strings', async () => {
    const msg = await compressedImage(halves(640, 360, RED, BLUE), 640, 360, 'png');
    const frame = await decodeCameraMessage(
      'sensor_msgs/msg/CompressedImage',
      { ...msg, format: 'bgr8; png compressed bgr8' },
      opts,
    );
    assert.deepEqual(pixel(frame.rgb, 256, 20, 128), RED);
  });

  it('expands a greyscale JPEG to three channels', async () => {
    const data = await sharp(Buffer.alloc(64 * 36, 90), { raw: { width: 64, height: 36, channels: 1 } })
      .jpeg()
      .toBuffer();
    const frame = await decodeCompressedImage(
      { header: { stamp: { sec: 1, nanosec: 0 }, frame_id: '' }, format: 'jpeg', data },
      opts,
    );
    assert.equal(frame.rgb.length, 256 * 256 * 3);
    assert.ok(near(pixel(frame.rgb, 256, 200, 100), [90, 90, 90], 3));
  });

  it('rejects formats other than jpeg/png, empty data and corrupt bytes with the topic and stamp', async () => {
    const msg = await compressedImage(halves(64, 36, RED, BLUE), 64, 36, 'jpeg', 2_000_000_000n);
    assert.match(
      (await rejection(decodeCompressedImage({ ...msg, format: 'theora' }, opts))).message,
      /^camera frame on \/camera\/image_raw at 2\.000000000 s \(encoding "theora".*unsupported compressed format/,
    );
    assert.match(
      (await rejection(decodeCompressedImage({ ...msg, data: new Uint8Array(0) }, opts))).message,
      /0 bytes\): no data$/,
    );
    const corrupt = Buffer.from(msg.data);
    corrupt.fill(0x00, 200);
    assert.match(
      (await rejection(decodeCompressedImage({ ...msg, data: corrupt }, opts))).message,
      /cannot (decode|read the image header)/,
    );
  });
});

describe('camera decode: model input layout', () => {
  it('writes planar [3, H, W] floats in [-1, 1] (Wan VAE convention)', async () => {
    const frame = await decodeImage(rawImage(halves(320, 180, [255, 0, 255], [0, 255, 0]), 320, 180), {
      ...opts,
      resolution: { height: 16, width: 16 },
    });
    const x = toModelInput(frame);
    const plane = 16 * 16;
    assert.equal(x.length, 3 * plane);
    assert.equal(x[0], 1); // R, left
    assert.equal(x[plane], -1); // G, left
    assert.equal(x[2 * plane], 1); // B, left
    assert.equal(x[15], -1); // R, right
    assert.equal(x[plane + 15], 1); // G, right
    assert.ok(x.every((v) => v >= -1 && v <= 1));
    const reused = new Float32Array(3 * plane);
    assert.equal(toModelInput(frame, reused), reused);
    assert.throws(() => toModelInput(frame, new Float32Array(5)), /output holds 5 floats, expected 768/);
  });
});
