import sharp from 'sharp';
import type { CompressedImage } from '../../messages/ros';
import { nsToStamp } from '../../messages/time';
import type { Plan } from '../../planner/plan';
import type { Planner } from '../../planner/planner';

/**
 * The imagined future as one image for Foxglove's Image panel (one topic, one panel).
 *
 * Tiling: the sparse future chunks in time order, row-major on a grid `columns` wide — with 8 chunks and
 * 4 columns the top row is +1, +2, +5, +8 s and the bottom row +11, +14, +17, +20 s after the input frame —
 * each tile at the decoder's resolution (the model's), no borders. `Planner.decodePreview` gives one frame per
 * chunk: the last decoded frame of each chunk, the one at the chunk's offset.
 */
export interface TiledPreview {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
  /** Interleaved RGB, 8 bits. */
  readonly rgb: Uint8Array;
}

/**
 * Tiles decoded frames `[N, 3, H, W]` (planar per frame, values in [0, 1]) into one RGB image. Values outside
 * [0, 1] are clamped; non-finite ones become 0.
 */
export function tileFutureFrames(frames: Float32Array, dims: readonly number[], columns = 4): TiledPreview {
  if (dims.length !== 4 || dims[1] !== 3 || !(dims[0]! >= 1)) {
    throw new RangeError(`preview frames must be [N, 3, H, W] with N ≥ 1, got [${dims.join(', ')}]`);
  }
  const [N, , H, W] = dims as [number, number, number, number];
  if (frames.length !== N * 3 * H * W) {
    throw new RangeError(
      `preview frames hold ${frames.length} values, [${dims.join(', ')}] needs ${N * 3 * H * W}`,
    );
  }
  if (!Number.isInteger(columns) || columns < 1)
    throw new RangeError(`columns must be a positive integer, got ${columns}`);
  const cols = Math.min(columns, N);
  const rows = Math.ceil(N / cols);
  const width = cols * W;
  const height = rows * H;
  const rgb = new Uint8Array(width * height * 3);
  const plane = H * W;
  for (let tile = 0; tile < N; tile++) {
    const x0 = (tile % cols) * W;
    const y0 = Math.floor(tile / cols) * H;
    for (let c = 0; c < 3; c++) {
      const base = (tile * 3 + c) * plane;
      for (let y = 0; y < H; y++) {
        let o = ((y0 + y) * width + x0) * 3 + c;
        for (let x = 0; x < W; x++, o += 3) {
          const v = frames[base + y * W + x]!;
          rgb[o] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
        }
      }
    }
  }
  return { width, height, columns: cols, rows, rgb };
}

export async function encodePreviewJpeg(tiled: TiledPreview, quality: number): Promise<Buffer> {
  return sharp(tiled.rgb, { raw: { width: tiled.width, height: tiled.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/**
 * The plan's imagined future as a sensor_msgs/CompressedImage stamped with the plan's input frame, in the
 * camera's frame. Decoding shares the inference worker with planning: call it after the plan went out.
 */
export async function previewMessage(
  planner: Pick<Planner, 'decodePreview'>,
  plan: Plan,
  options: { frameId: string; jpegQuality: number; columns?: number },
): Promise<CompressedImage> {
  const decoded = await planner.decodePreview(plan.futureLatents, plan.futureDims);
  const data = await encodePreviewJpeg(
    tileFutureFrames(decoded.rgb, decoded.dims, options.columns),
    options.jpegQuality,
  );
  return { header: { stamp: nsToStamp(plan.inputStampNs), frame_id: options.frameId }, format: 'jpeg', data };
}
