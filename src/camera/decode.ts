import sharp from 'sharp';
import type { CompressedImage, Image } from '../messages/ros';
import { stampToNs } from '../messages/time';
import { CameraFrameError, type FrameSource, type ModelResolution, type RgbFrame } from './frame';
import { centreSquareResize, type RgbImage } from './resize';

/**
 * Camera messages → RGB frames at the model resolution, made as the release makes them (OFFICIAL.md §1): sharp
 * decodes the whole image, then the centred square is resized with OpenCV's bilinear rule (`./resize`), so the
 * networks see the same pixels as under the official pipeline (1280×720 → columns 280…999 → 256×256).
 */

interface RawLayout {
  readonly channels: 1 | 3;
  readonly bytesPerChannel: 1 | 2;
  readonly order: 'rgb' | 'bgr' | 'mono';
}

/** sensor_msgs/image_encodings we accept. 16-bit ones are reduced to their high byte. */
export const RAW_ENCODINGS: Readonly<Record<string, RawLayout>> = {
  rgb8: { channels: 3, bytesPerChannel: 1, order: 'rgb' },
  bgr8: { channels: 3, bytesPerChannel: 1, order: 'bgr' },
  mono8: { channels: 1, bytesPerChannel: 1, order: 'mono' },
  rgb16: { channels: 3, bytesPerChannel: 2, order: 'rgb' },
  bgr16: { channels: 3, bytesPerChannel: 2, order: 'bgr' },
  mono16: { channels: 1, bytesPerChannel: 2, order: 'mono' },
};

export interface DecodeOptions {
  /** Topic the message came from, named in errors and the frame's source. */
  readonly topic: string;
  readonly resolution: ModelResolution;
}

/** No side below this many pixels is planned on, whatever the model's resolution. */
export const MIN_FRAME_SIDE_PX = 32;
/** Nor below this fraction of the model's side: an 8× upscale holds too little of the scene to plan on. */
export const MIN_FRAME_FRACTION = 1 / 8;

/** Why a frame of this size is too small to plan on (refused like an unsupported encoding), or undefined. */
export function frameSizeProblem(
  width: number,
  height: number,
  resolution: ModelResolution,
): string | undefined {
  const minWidth = Math.max(MIN_FRAME_SIDE_PX, Math.ceil(resolution.width * MIN_FRAME_FRACTION));
  const minHeight = Math.max(MIN_FRAME_SIDE_PX, Math.ceil(resolution.height * MIN_FRAME_FRACTION));
  if (width >= minWidth && height >= minHeight) return undefined;
  return (
    `frames of ${width}×${height} are too small to plan on ` +
    `(at least ${minWidth}×${minHeight} for the model's ${resolution.width}×${resolution.height})`
  );
}

/** Why a raw image cannot be used, or undefined when it can. Pure; the decoder and the contract share it. */
export function rawImageProblem(msg: Image): string | undefined {
  const layout = RAW_ENCODINGS[msg.encoding];
  if (!layout) {
    return `unsupported encoding; supported: ${Object.keys(RAW_ENCODINGS).join(', ')} (raw) or jpeg/png (compressed)`;
  }
  if (msg.width <= 0 || msg.height <= 0) return 'zero width or height';
  if (layout.bytesPerChannel === 2 && msg.is_bigendian) {
    return 'big-endian 16-bit data is not supported (is_bigendian = 1)';
  }
  const rowBytes = msg.width * layout.channels * layout.bytesPerChannel;
  if (msg.step < rowBytes) return `step ${msg.step} is shorter than a row of ${rowBytes} bytes`;
  if (msg.data.length < msg.step * msg.height) {
    return `data holds ${msg.data.length} bytes, less than step × height = ${msg.step * msg.height}`;
  }
  return undefined;
}

/** sensor_msgs/Image (bgr8, rgb8, mono8 and their 16-bit little-endian forms) → model-resolution RGB. */
export async function decodeImage(msg: Image, options: DecodeOptions): Promise<RgbFrame> {
  const stampNs = stampToNs(msg.header.stamp);
  const source: FrameSource = {
    topic: options.topic,
    encoding: msg.encoding,
    width: msg.width,
    height: msg.height,
  };
  const fail = (problem: string) =>
    new CameraFrameError({ ...source, stampNs, step: msg.step, bytes: msg.data.length }, problem);
  const problem = rawImageProblem(msg) ?? frameSizeProblem(msg.width, msg.height, options.resolution);
  if (problem) throw fail(problem);
  const layout = RAW_ENCODINGS[msg.encoding]!;
  const pixels = packedPixels(msg, layout);
  const full = { rgb: toRgb(pixels, layout.channels, layout.order), width: msg.width, height: msg.height };
  return { stampNs, ...modelFrame(full, options.resolution), source };
}

/** The release's frame: centred square, bilinear to the (square) model resolution. */
function modelFrame(image: RgbImage, resolution: ModelResolution): RgbImage {
  if (resolution.height !== resolution.width) {
    throw new RangeError(`model resolution ${resolution.height}×${resolution.width} is not square`);
  }
  return centreSquareResize(image, resolution.height);
}

/** sensor_msgs/CompressedImage whose format names jpeg or png → model-resolution RGB. */
export async function decodeCompressedImage(msg: CompressedImage, options: DecodeOptions): Promise<RgbFrame> {
  const stampNs = stampToNs(msg.header.stamp);
  const unknownSize = { topic: options.topic, encoding: msg.format, width: 0, height: 0 };
  const fail = (problem: string, size = unknownSize) =>
    new CameraFrameError({ ...size, stampNs, bytes: msg.data.length }, problem);
  if (!/jpe?g|png/i.test(msg.format))
    throw fail('unsupported compressed format; expected one naming jpeg or png');
  if (msg.data.length === 0) throw fail('no data');
  const input = sharp(asBuffer(msg.data), { failOn: 'error' });
  let source: FrameSource;
  try {
    const meta = await input.metadata();
    source = { ...unknownSize, width: meta.width ?? 0, height: meta.height ?? 0 };
  } catch (err) {
    throw fail(`cannot read the image header: ${(err as Error).message}`);
  }
  if (source.width <= 0 || source.height <= 0) throw fail('zero width or height', source);
  const tooSmall = frameSizeProblem(source.width, source.height, options.resolution);
  if (tooSmall) throw fail(tooSmall, source);
  try {
    const { data, info } = await input
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const full = { rgb: toRgb(data, info.channels, 'rgb'), width: info.width, height: info.height };
    return { stampNs, ...modelFrame(full, options.resolution), source };
  } catch (err) {
    throw fail(`cannot decode: ${(err as Error).message}`, source);
  }
}

/** Either camera message type; `type` is the ROS type name from the config. */
export function decodeCameraMessage(
  type: 'sensor_msgs/msg/Image' | 'sensor_msgs/msg/CompressedImage',
  msg: Image | CompressedImage,
  options: DecodeOptions,
): Promise<RgbFrame> {
  return type === 'sensor_msgs/msg/Image'
    ? decodeImage(msg as Image, options)
    : decodeCompressedImage(msg as CompressedImage, options);
}

/**
 * The image's pixels with rows packed back to back (sharp's raw input has no stride) and 16-bit samples
 * reduced to 8 bits. A tightly packed 8-bit image is passed through without copying.
 */
export function packedPixels(msg: Image, layout: RawLayout = RAW_ENCODINGS[msg.encoding]!): Buffer {
  const data = asBuffer(msg.data);
  const samplesPerRow = msg.width * layout.channels;
  const rowBytes = samplesPerRow * layout.bytesPerChannel;
  if (layout.bytesPerChannel === 1) {
    if (msg.step === rowBytes) return data.subarray(0, rowBytes * msg.height);
    const out = Buffer.allocUnsafe(rowBytes * msg.height);
    for (let y = 0; y < msg.height; y++) data.copy(out, y * rowBytes, y * msg.step, y * msg.step + rowBytes);
    return out;
  }
  const out = Buffer.allocUnsafe(samplesPerRow * msg.height);
  for (let y = 0; y < msg.height; y++) {
    const row = y * msg.step + 1; // little-endian: the high byte is the second of each pair
    const dst = y * samplesPerRow;
    for (let i = 0; i < samplesPerRow; i++) out[dst + i] = data[row + 2 * i]!;
  }
  return out;
}

/** Interleaved RGB from sharp's output: swaps B and R, or spreads grey over three channels. */
function toRgb(data: Buffer, channels: number, order: 'rgb' | 'bgr' | 'mono'): Uint8Array {
  if (channels === 3 && order === 'rgb') return new Uint8Array(data.buffer, data.byteOffset, data.length);
  const pixels = data.length / channels;
  const out = new Uint8Array(pixels * 3);
  if (channels === 1) {
    for (let i = 0, o = 0; i < pixels; i++, o += 3) {
      const v = data[i]!;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    }
    return out;
  }
  if (channels !== 3) throw new RangeError(`expected 1 or 3 channels after decoding, got ${channels}`);
  for (let o = 0; o < out.length; o += 3) {
    out[o] = data[o + 2]!;
    out[o + 1] = data[o + 1]!;
    out[o + 2] = data[o]!;
  }
  return out;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
