/**
 * The release's frame geometry (OFFICIAL.md §1): the centred square of side min(h, w) (offsets (h−s)//2, (w−s)//2),
 * resized to size×size with OpenCV's `INTER_LINEAR` on uint8 — written out here so that our frames are the
 * release's frames bit for bit. OpenCV computes the source position in float32, turns the weights into 11-bit
 * fixed point, sums horizontally in integers and finishes the vertical pass with its SIMD rounding
 * (`(((S0>>4)·b0 >> 16) + ((S1>>4)·b1 >> 16) + 2) >> 2`), which is the path it takes for every row whose byte
 * count is a multiple of the vector width (all our sizes).
 */

const COEF_SCALE = 2048;

interface Taps {
  /** First source index per destination index (may be −1 for rows; both taps are clamped when read). */
  index: Int32Array;
  /** 11-bit fixed-point weights (w0, w1) per destination index. */
  weight: Int16Array;
}

/**
 * OpenCV clamps a column outside the image to the edge with weight (1, 0), but keeps a row's fractional weights and
 * only clamps the row index — both edges differ by a rounding step, so both rules are kept.
 */
function linearTaps(source: number, dest: number, clampWeights: boolean): Taps {
  const scale = source / dest;
  const index = new Int32Array(dest);
  const weight = new Int16Array(dest * 2);
  for (let d = 0; d < dest; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampWeights && s < 0) {
      f = 0;
      s = 0;
    }
    if (clampWeights && s >= source - 1) {
      f = 0;
      s = source - 1;
    }
    index[d] = s;
    weight[d * 2] = Math.round(Math.fround(1 - f) * COEF_SCALE);
    weight[d * 2 + 1] = Math.round(f * COEF_SCALE);
  }
  return { index, weight };
}

export interface RgbImage {
  /** Interleaved RGB, row-major, 3 bytes per pixel. */
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** The centred square crop of side min(h, w), resized to size×size as `cv2.resize(…, INTER_LINEAR)` does. */
export function centreSquareResize(image: RgbImage, size: number): RgbImage {
  const { width, height, rgb } = image;
  if (rgb.length < width * height * 3) {
    throw new Error(`image of ${width}×${height} needs ${width * height * 3} bytes, got ${rgb.length}`);
  }
  const side = Math.min(width, height);
  const top = Math.floor((height - side) / 2);
  const left = Math.floor((width - side) / 2);
  const xs = linearTaps(side, size, true);
  const ys = linearTaps(side, size, false);
  const rows = horizontalPass(image, top, left, side, size, xs);
  const out = new Uint8Array(size * size * 3);
  const rowLen = size * 3;
  for (let y = 0; y < size; y++) {
    const s0 = Math.min(Math.max(ys.index[y]!, 0), side - 1);
    const s1 = Math.min(Math.max(ys.index[y]! + 1, 0), side - 1);
    const b0 = ys.weight[y * 2]!;
    const b1 = ys.weight[y * 2 + 1]!;
    for (let x = 0; x < rowLen; x++) {
      const t0 = (((rows[s0 * rowLen + x]! >> 4) * b0) >> 16) + (((rows[s1 * rowLen + x]! >> 4) * b1) >> 16);
      out[y * rowLen + x] = Math.min(255, Math.max(0, (t0 + 2) >> 2));
    }
  }
  return { rgb: out, width: size, height: size };
}

/** Integer horizontal sums S·w0 + S'·w1 of every cropped source row, as OpenCV's first pass. */
function horizontalPass(
  image: RgbImage,
  top: number,
  left: number,
  side: number,
  size: number,
  xs: Taps,
): Int32Array {
  const rowLen = size * 3;
  const rows = new Int32Array(side * rowLen);
  for (let r = 0; r < side; r++) {
    const base = ((top + r) * image.width + left) * 3;
    for (let x = 0; x < size; x++) {
      const s0 = xs.index[x]!;
      const s1 = Math.min(s0 + 1, side - 1);
      const a0 = xs.weight[x * 2]!;
      const a1 = xs.weight[x * 2 + 1]!;
      for (let c = 0; c < 3; c++) {
        rows[r * rowLen + x * 3 + c] =
          image.rgb[base + s0 * 3 + c]! * a0 + image.rgb[base + s1 * 3 + c]! * a1;
      }
    }
  }
  return rows;
}
