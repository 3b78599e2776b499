/**
 * Plain TypeScript reference of the action head's transformer pieces (the paper's design, not released):
 * loops over Float32Array, written from the equations, independent of the graph code (no ops.ts). Weights are
 * looked up by checkpoint name in checkpoint layout (Linear weight [out, in]).
 */

/** A row-major matrix: `rows` tokens of `cols` features. */
export interface Mat {
  data: Float32Array;
  rows: number;
  cols: number;
}

export type Weights = ReadonlyMap<string, Float32Array>;

export const EPS = 1e-6;

export function mat(rows: number, cols: number, data: Float32Array = new Float32Array(rows * cols)): Mat {
  if (data.length !== rows * cols) throw new Error(`mat: ${data.length} values for ${rows}×${cols}`);
  return { data, rows, cols };
}

export function weight(w: Weights, name: string): Float32Array {
  const v = w.get(name);
  if (!v) throw new Error(`reference: no weight ${name}`);
  return v;
}

/** y = x Wᵀ + b with W [out, in] from `${name}.weight`, b from `${name}.bias`. */
export function linear(x: Mat, w: Weights, name: string, out: number): Mat {
  const W = weight(w, `${name}.weight`);
  const b = weight(w, `${name}.bias`);
  if (W.length !== out * x.cols)
    throw new Error(`reference linear ${name}: weight has ${W.length} ≠ ${out}×${x.cols}`);
  const y = mat(x.rows, out);
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = b[o]!;
      for (let i = 0; i < x.cols; i++) s += x.data[r * x.cols + i]! * W[o * x.cols + i]!;
      y.data[r * out + o] = s;
    }
  }
  return y;
}

/** LayerNorm over each row; affine from `${name}.weight/bias` when `name` is given, plain otherwise. */
export function layerNorm(x: Mat, w: Weights | undefined, name?: string): Mat {
  const gamma = name ? weight(w!, `${name}.weight`) : undefined;
  const beta = name ? weight(w!, `${name}.bias`) : undefined;
  const y = mat(x.rows, x.cols);
  for (let r = 0; r < x.rows; r++) {
    let mean = 0;
    for (let i = 0; i < x.cols; i++) mean += x.data[r * x.cols + i]!;
    mean /= x.cols;
    let v = 0;
    for (let i = 0; i < x.cols; i++) v += (x.data[r * x.cols + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / x.cols + EPS);
    for (let i = 0; i < x.cols; i++) {
      const n = (x.data[r * x.cols + i]! - mean) * inv;
      y.data[r * x.cols + i] = gamma ? n * gamma[i]! + beta![i]! : n;
    }
  }
  return y;
}

export function addInto(x: Mat, y: Mat): Mat {
  if (x.data.length !== y.data.length) throw new Error('addInto: sizes differ');
  for (let i = 0; i < x.data.length; i++) x.data[i]! += y.data[i]!;
  return x;
}

/** Softmax attention per head: q from x, k/v from ctx, scale 1/√headDim, then `to_out.0`. */
export function attention(x: Mat, ctx: Mat, heads: number, w: Weights, name: string): Mat {
  const dim = x.cols;
  const q = linear(x, w, `${name}.to_q`, dim);
  const k = linear(ctx, w, `${name}.to_k`, dim);
  const v = linear(ctx, w, `${name}.to_v`, dim);
  const hd = dim / heads;
  const scale = 1 / Math.sqrt(hd);
  const o = mat(x.rows, dim);
  const scores = new Float64Array(ctx.rows);
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < x.rows; s++) {
      let max = -Infinity;
      for (let l = 0; l < ctx.rows; l++) {
        let d = 0;
        for (let j = 0; j < hd; j++) d += q.data[s * dim + h * hd + j]! * k.data[l * dim + h * hd + j]!;
        scores[l] = d * scale;
        max = Math.max(max, scores[l]!);
      }
      let sum = 0;
      for (let l = 0; l < ctx.rows; l++) sum += scores[l] = Math.exp(scores[l]! - max);
      for (let j = 0; j < hd; j++) {
        let acc = 0;
        for (let l = 0; l < ctx.rows; l++) acc += scores[l]! * v.data[l * dim + h * hd + j]!;
        o.data[s * dim + h * hd + j] = acc / sum;
      }
    }
  }
  return linear(o, w, `${name}.to_out.0`, dim);
}

export function geluTanh(v: number): number {
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
}

export function silu(v: number): number {
  return v / (1 + Math.exp(-v));
}

export function feedForward(x: Mat, hidden: number, w: Weights, name: string): Mat {
  const h = linear(x, w, `${name}.net.0.proj`, hidden);
  for (let i = 0; i < h.data.length; i++) h.data[i] = geluTanh(h.data[i]!);
  return linear(h, w, `${name}.net.2`, x.cols);
}

export interface FormerSizeRef {
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
  queries: number;
}

/** Learned queries through pre-LN (self-attn, cross-attn to the normalised context, FFN) layers, final LN. */
export function former(context: Mat, size: FormerSizeRef, w: Weights, name: string): Mat {
  const ctx = layerNorm(context, w, `${name}.norm_context`);
  const x = mat(size.queries, size.hidden, Float32Array.from(weight(w, `${name}.queries`)));
  for (let i = 0; i < size.layers; i++) {
    const p = `${name}.layers.${i}`;
    const n1 = layerNorm(x, w, `${p}.norm1`);
    addInto(x, attention(n1, n1, size.heads, w, `${p}.attn1`));
    addInto(x, attention(layerNorm(x, w, `${p}.norm2`), ctx, size.heads, w, `${p}.attn2`));
    addInto(x, feedForward(layerNorm(x, w, `${p}.norm3`), size.ffn, w, `${p}.ffn`));
  }
  return layerNorm(x, w, `${name}.norm_out`);
}

/** [cos(t·ω_i) …, sin(t·ω_i) …], ω_i = 10000^(−i/(dim/2)). */
export function sinusoidRef(t: number, dim: number): Float32Array {
  const half = dim / 2;
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const a = t * Math.pow(10000, -i / half);
    out[i] = Math.cos(a);
    out[half + i] = Math.sin(a);
  }
  return out;
}

/** Position (r, c) → [sin(r·ω), cos(r·ω), sin(c·ω), cos(c·ω)], ω_i = 10000^(−i/(dim/4)). */
export function spatialPositionRef(r: number, c: number, dim: number): Float32Array {
  const q = dim / 4;
  const out = new Float32Array(dim);
  for (let i = 0; i < q; i++) {
    const om = Math.pow(10000, -i / q);
    out[i] = Math.sin(r * om);
    out[q + i] = Math.cos(r * om);
    out[2 * q + i] = Math.sin(c * om);
    out[3 * q + i] = Math.cos(c * om);
  }
  return out;
}

/**
 * Latents [C, F, h, w] (batch 1) → patch tokens [F·T, C·p·p], token (f, i, j) row-major, feature (c, di, dj);
 * each token already embedded with `${name}` (Linear) plus the spatial position.
 */
export function embedPatches(
  latents: Float32Array,
  dims: { C: number; F: number; h: number; w: number; p: number },
  hidden: number,
  w: Weights,
  name: string,
): Mat {
  const { C, F, h, w: W, p } = dims;
  const [hp, wp] = [h / p, W / p];
  const x = mat(F * hp * wp, C * p * p);
  for (let f = 0; f < F; f++)
    for (let i = 0; i < hp; i++)
      for (let j = 0; j < wp; j++) {
        const row = (f * hp + i) * wp + j;
        for (let c = 0; c < C; c++)
          for (let di = 0; di < p; di++)
            for (let dj = 0; dj < p; dj++) {
              x.data[row * x.cols + (c * p + di) * p + dj] =
                latents[((c * F + f) * h + i * p + di) * W + j * p + dj]!;
            }
      }
  const y = linear(x, w, name, hidden);
  for (let f = 0; f < F; f++)
    for (let i = 0; i < hp; i++)
      for (let j = 0; j < wp; j++) {
        const pos = spatialPositionRef(i, j, hidden);
        const row = (f * hp + i) * wp + j;
        for (let d = 0; d < hidden; d++) y.data[row * hidden + d]! += pos[d]!;
      }
  return y;
}
