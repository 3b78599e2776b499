import { type GraphBuilder, ShapeError, type Tensor } from '../../onnx/graph';
import { cast, concat, cos, mul, reshape, sin, transpose, unsqueeze } from '../../onnx/ops';

/**
 * Cuts latents [1, C, F, h, w] into p×p patches: [1, F, T, C·p·p] with T = (h/p)·(w/p) tokens per chunk in
 * row-major (h, w) order and features in (c, ph, pw) order — the flattening of a Conv2d weight [out, C, p, p], so a
 * Linear on these features equals a stride-p patch convolution. F may be a dynamic axis.
 */
export function patchify(g: GraphBuilder, latents: Tensor, patch: number): Tensor {
  const [, c, , h, w] = latents.shape;
  if (latents.shape.length !== 5 || typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number') {
    throw new ShapeError(
      `${g.scopeName}/patchify`,
      `expected [1, C, F, h, w] with static C, h, w, got [${latents.shape.join(', ')}]`,
    );
  }
  if (h % patch || w % patch) {
    throw new ShapeError(
      `${g.scopeName}/patchify`,
      `latent grid ${h}×${w} is not a multiple of patch ${patch}`,
    );
  }
  const [hp, wp] = [h / patch, w / patch];
  const x = reshape(g, latents, [1, c, 0, hp, patch, wp, patch]); // [1, C, F, hp, p, wp, p]
  const t = transpose(g, x, [0, 2, 3, 5, 1, 4, 6]); // [1, F, hp, wp, C, p, p]
  return reshape(g, t, [0, 0, hp * wp, c * patch * patch]); // [1, F, T, C·p²]
}

/**
 * Sinusoidal embedding of a float32 vector t [n] → [n, dim] in the graph's float type: cos half first, frequencies
 * 10000^(−i/(dim/2)) (Wan's timestep embedding). Computed in fp32 so large arguments stay exact in fp16 graphs.
 */
export function sinusoid(g: GraphBuilder, t: Tensor, dim: number): Tensor {
  if (dim % 2) throw new ShapeError(`${g.scopeName}/sinusoid`, `dim must be even, got ${dim}`);
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.pow(10000, -i / half);
  const args = mul(
    g,
    unsqueeze(g, cast(g, t, 'float32'), [1]),
    g.constant(freqs, [half], 'float32', 'freqs'),
  ); // [n, half]
  return cast(g, concat(g, [cos(g, args), sin(g, args)], 1), g.floatType);
}

/**
 * Fixed 2-D sin-cos position table [gridH·gridW, dim] (MAE-style; no parameters, so weights do not depend on the
 * resolution): the first dim/2 features encode the row, the last dim/2 the column; each half is
 * [sin(pos·ω_i), cos(pos·ω_i)] with ω_i = 10000^(−i/(dim/4)), i < dim/4.
 */
export function spatialPositionTable(gridH: number, gridW: number, dim: number): Float32Array {
  if (dim % 4) throw new Error(`spatial position embedding needs dim divisible by 4, got ${dim}`);
  const quarter = dim / 4;
  const out = new Float32Array(gridH * gridW * dim);
  for (let r = 0; r < gridH; r++) {
    for (let c = 0; c < gridW; c++) {
      const row = out.subarray((r * gridW + c) * dim, (r * gridW + c + 1) * dim);
      for (let i = 0; i < quarter; i++) {
        const omega = Math.pow(10000, -i / quarter);
        row[i] = Math.sin(r * omega);
        row[quarter + i] = Math.cos(r * omega);
        row[2 * quarter + i] = Math.sin(c * omega);
        row[3 * quarter + i] = Math.cos(c * omega);
      }
    }
  }
  return out;
}
