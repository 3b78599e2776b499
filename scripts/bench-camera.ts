import sharp from 'sharp';
import { compressForRelay, decodeCompressedImage, decodeImage } from '../src/camera';
import type { Image } from '../src/messages/ros';

/**
 * Times the camera front end on one frame size per path:
 *   node -r ts-node/register/transpile-only scripts/bench-camera.ts [frames]
 */

async function time(label: string, frames: number, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 5; i++) await fn(); // warm-up: sharp/libvips caches, JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / frames;
  console.log(`${label.padEnd(58)} ${ms.toFixed(2)} ms/frame`);
}

function pattern(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 255;
  return data;
}

async function main(): Promise<void> {
  const frames = Number(process.argv[2] ?? 100);
  const resolution = { height: 256, width: 448 };
  const opts = { topic: '/camera/image_raw', resolution };
  const header = { stamp: { sec: 1, nanosec: 0 }, frame_id: 'front_camera' };
  const raw720: Image = {
    header,
    height: 720,
    width: 1280,
    encoding: 'bgr8',
    is_bigendian: 0,
    step: 3840,
    data: pattern(1280, 720),
  };
  const jpeg360 = await sharp(pattern(640, 360), { raw: { width: 640, height: 360, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
  console.log(
    `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, concurrency ${sharp.concurrency()}, ${frames} frames`,
  );
  await time('decodeImage bgr8 1280×720 → RGB 448×256', frames, () => decodeImage(raw720, opts));
  await time('decodeCompressedImage JPEG 640×360 → RGB 448×256', frames, () =>
    decodeCompressedImage({ header, format: 'jpeg', data: jpeg360 }, opts),
  );
  await time('compressForRelay bgr8 1280×720 → JPEG 640×360 q80', frames, () =>
    compressForRelay(raw720, { topic: '/camera/image_raw', widthPx: 640, quality: 80 }),
  );
}

void main();
