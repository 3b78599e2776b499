import sharp from 'sharp';

/**
 * The imagined future as one image for Foxglove's Image panel (one topic, one panel).
 *
 * Tiling: the sparse future chunks in time order, row-major on a grid `columns` wide — with 8 chunks and
 * 4 columns the top row is +1, +2, +5, +8 s and the bottom row +11, +14, +17, +20 s after the input frame —
 * each tile at the decoder's resolution, no borders. One frame per chunk: the preview decoder turns N latents
 * into 4N − 3 frames (latent 0 → frame 0, latent i → frames 4i − 3 … 4i), and the last frame of each chunk is
 * the one that lies at the chunk's offset.
 */
export interface TiledPreview {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
  /** Interleaved RGB, 8 bits. */
  readonly rgb: Uint8Array;
  /** Which decoded frame each tile shows. */
  readonly frameIndices: readonly number[];
}

/**
 * Tiles decoded frames `[1, 3, T, H, W]` (planar, values in [0, 1]) of `chunks` latents into one RGB image.
 * Values outside [0, 1] are clamped; non-finite ones become 0.
 */
export function tileFutureFrames(
  frames: Float32Array,
  dims: readonly number[],
  chunks: number,
  columns = 4,
): TiledPreview {
  if (dims.length !== 5 || dims[0] !== 1 || dims[1] !== 3) {
    throw new RangeError(`preview frames must be [1, 3, T, H, W], got [${dims.join(', ')}]`);
  }
  const [, , T, H, W] = dims as [number, number, number, number, number];
  if (frames.length !== 3 * T * H * W) {
    throw new RangeError(`preview frames hold ${frames.length} values, [${dims.join(', ')}] needs ${3 * T * H * W}`);
  }
  if (!(chunks >= 1) || T < chunks) throw new RangeError(`${T} decoded frames cannot show ${chunks} chunks`);
  const frameIndices = Array.from({ length: chunks }, (_, i) =>
    chunks === 1 ? T - 1 : Math.round((i * (T - 1)) / (chunks - 1)),
  );
  const cols = Math.min(columns, chunks);
  const rows = Math.ceil(chunks / cols);
  const width = cols * W;
  const height = rows * H;
  const rgb = new Uint8Array(width * height * 3);
  const plane = H * W;
  frameIndices.forEach((t, tile) => {
    const x0 = (tile % cols) * W;
    const y0 = Math.floor(tile / cols) * H;
    for (let c = 0; c < 3; c++) {
      const base = (c * T + t) * plane;
      for (let y = 0; y < H; y++) {
        let o = ((y0 + y) * width + x0) * 3 + c;
        for (let x = 0; x < W; x++, o += 3) {
          const v = frames[base + y * W + x]!;
          rgb[o] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
        }
      }
    }
  });
  return { width, height, columns: cols, rows, rgb, frameIndices };
}

export async function encodePreviewJpeg(tiled: TiledPreview, quality: number): Promise<Buffer> {
  return sharp(tiled.rgb, { raw: { width: tiled.width, height: tiled.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}
