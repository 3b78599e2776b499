import sharp from 'sharp';
import type { CompressedImage, Image } from '../../src/messages/ros';
import { nsToStamp, type TimeNs } from '../../src/messages/time';

/** Test images: small pictures drawn in code, turned into the messages a camera driver would publish. */

export type Rgb = readonly [number, number, number];

/** An RGB picture whose left half is `left` and right half `right`, width × height, interleaved. */
export function halves(width: number, height: number, left: Rgb, right: Rgb): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = x < width / 2 ? left : right;
      out.set(c, (y * width + x) * 3);
    }
  }
  return out;
}

/** A raw sensor_msgs/Image from interleaved RGB, in the requested 8-bit encoding, rows padded to `step`. */
export function rawImage(
  rgb: Buffer,
  width: number,
  height: number,
  options: { encoding?: 'rgb8' | 'bgr8' | 'mono8'; step?: number; stampNs?: TimeNs; pad?: number } = {},
): Image {
  const encoding = options.encoding ?? 'bgr8';
  const channels = encoding === 'mono8' ? 1 : 3;
  const step = options.step ?? width * channels;
  const data = Buffer.alloc(step * height, options.pad ?? 0xab);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3);
      const at = y * step + x * channels;
      if (encoding === 'mono8') data[at] = r!;
      else if (encoding === 'rgb8') data.set([r!, g!, b!], at);
      else data.set([b!, g!, r!], at);
    }
  }
  return {
    header: { stamp: nsToStamp(options.stampNs ?? 1_500_000_000n), frame_id: 'front_camera' },
    height,
    width,
    encoding,
    is_bigendian: 0,
    step,
    data,
  };
}

export async function compressedImage(
  rgb: Buffer,
  width: number,
  height: number,
  format: 'jpeg' | 'png',
  stampNs: TimeNs = 1_500_000_000n,
): Promise<CompressedImage> {
  const img = sharp(rgb, { raw: { width, height, channels: 3 } });
  const data = await (format === 'jpeg' ? img.jpeg({ quality: 90 }) : img.png()).toBuffer();
  return { header: { stamp: nsToStamp(stampNs), frame_id: 'front_camera' }, format, data };
}

/** The RGB triple at (x, y) of an interleaved frame. */
export function pixel(rgb: Uint8Array, width: number, x: number, y: number): Rgb {
  const i = (y * width + x) * 3;
  return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
}

export function near(actual: Rgb, expected: Rgb, tolerance: number): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
}
