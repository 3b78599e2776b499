/**
 * The imagined future as one image: the preview decoder's frames of the sparse future chunks side by side
 * (Foxglove's Image panel shows one image per topic), labelled with their offsets, JPEG-encoded with sharp.
 */
import sharp from 'sharp';
import type { TimeNs } from '../messages/time';
import { compressedImage } from './foxglove';
import type { FoxgloveCompressedImage } from './foxglove-msgs';

/** 8-bit RGB, rows top to bottom, channels interleaved. */
export interface RgbFrame {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * Frames out of the planner's preview ([N, 3, H, W] floats in [0, 1], one image per future chunk, as
 * `Planner.decodePreview` returns them); values outside are clamped, NaN becomes black.
 */
export function framesFromChunks(data: Float32Array, dims: readonly number[]): RgbFrame[] {
  if (dims.length !== 4 || dims[1] !== 3 || !(dims[0]! >= 1)) {
    throw new RangeError(`preview frames must be [N, 3, H, W] with N ≥ 1, got [${dims.join(', ')}]`);
  }
  const [n, , height, width] = dims as [number, number, number, number];
  const plane = height * width;
  if (data.length !== n * 3 * plane) {
    throw new RangeError(
      `preview frames [${dims.join(', ')}] need ${n * 3 * plane} values, got ${data.length}`,
    );
  }
  return Array.from({ length: n }, (_, f) => {
    const out = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      const base = (f * 3 + c) * plane;
      for (let i = 0; i < plane; i++) {
        const v = data[base + i]!;
        out[i * 3 + c] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
      }
    }
    return { width, height, data: out };
  });
}

/** Tiles equal-sized frames row by row into `columns` columns, separated by `gap_px` of black. */
export function tileFrames(frames: readonly RgbFrame[], columns: number, gap_px = 2): RgbFrame {
  if (frames.length === 0) throw new RangeError('no frames to tile');
  if (!(Number.isInteger(columns) && columns >= 1))
    throw new RangeError(`columns must be a positive integer, got ${columns}`);
  const { width, height } = frames[0]!;
  frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height || f.data.length !== width * height * 3) {
      throw new RangeError(
        `frame ${i} is ${f.width}×${f.height} (${f.data.length} bytes), expected ${width}×${height} RGB`,
      );
    }
  });
  const cols = Math.min(columns, frames.length);
  const rows = Math.ceil(frames.length / cols);
  const outW = cols * width + (cols - 1) * gap_px;
  const outH = rows * height + (rows - 1) * gap_px;
  const out = new Uint8Array(outW * outH * 3);
  frames.forEach((f, i) => {
    const x0 = (i % cols) * (width + gap_px);
    const y0 = Math.floor(i / cols) * (height + gap_px);
    for (let y = 0; y < height; y++) {
      out.set(f.data.subarray(y * width * 3, (y + 1) * width * 3), ((y0 + y) * outW + x0) * 3);
    }
  });
  return { width: outW, height: outH, data: out };
}

export interface FutureTilesOptions {
  readonly stampNs: TimeNs;
  readonly frameId: string;
  /** Default 4 (two rows for the 8 sparse chunks). */
  readonly columns?: number;
  /** One label per frame, e.g. '+1 s'; drawn at each tile's top-left corner. */
  readonly labels?: readonly string[];
  /** Default 75. */
  readonly jpegQuality?: number;
}

/** The frames tiled (labels at each tile's top-left corner) as one JPEG. */
export async function encodeFutureTiles(
  frames: readonly RgbFrame[],
  options: Omit<FutureTilesOptions, 'stampNs' | 'frameId'>,
): Promise<Uint8Array> {
  const columns = options.columns ?? 4;
  const gap = 2;
  const tiled = tileFrames(frames, columns, gap);
  let image = sharp(tiled.data, { raw: { width: tiled.width, height: tiled.height, channels: 3 } });
  if (options.labels && options.labels.length > 0) {
    const { width, height } = frames[0]!;
    const cols = Math.min(columns, frames.length);
    const size = Math.max(10, Math.round(height / 12));
    const texts = options.labels.slice(0, frames.length).map((label, i) => {
      const x = (i % cols) * (width + gap) + 4;
      const y = Math.floor(i / cols) * (height + gap) + size + 2;
      return `<text x="${x}" y="${y}" font-family="sans-serif" font-size="${size}" fill="white" stroke="black" stroke-width="1">${escapeXml(label)}</text>`;
    });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${tiled.width}" height="${tiled.height}">${texts.join('')}</svg>`;
    image = image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  const jpeg = await image.jpeg({ quality: options.jpegQuality ?? 75 }).toBuffer();
  return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
}

/** foxglove_msgs/CompressedImage (JPEG) of the frames tiled. */
export async function futureTilesImage(
  frames: readonly RgbFrame[],
  options: FutureTilesOptions,
): Promise<FoxgloveCompressedImage> {
  return compressedImage(options.stampNs, options.frameId, 'jpeg', await encodeFutureTiles(frames, options));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
