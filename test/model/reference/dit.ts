import { latentGrid, type ModelPreset } from '../../../src/model/presets';

/**
 * Plain-TypeScript reference of one sparse-video DiT step (Wan2.1 + history cross-attention), written from the
 * equations of SYSTEM.md §2.1 with loops over arrays and weights in checkpoint layout (Linear [out, in],
 * patch_embedding [dim, C, 1, ph, pw]). It shares no code with the graph builder. Each text-batch entry is run
 * separately, so the graph's batch broadcasting is checked too. Sums are accumulated in doubles.
 */

export type Weights = (name: string) => Float32Array;

export interface DitStepInputs {
  /** [C, 8, h, w] noisy future latents. */
  x: Float32Array;
  /** [C, 1, h, w] clean current chunk. */
  current: Float32Array;
  sigma: number;
  sigmaNext: number;
  guidance: number;
  /** One [textLen, textDim] entry per text batch: [cond] or [cond, uncond]. */
  text: Float32Array[];
  /** [historyTokens, historyDim]. */
  history: Float32Array;
  /** RoPE frame position per chunk (current first). */
  chunkOffsets: readonly number[];
}

export interface DitReferenceOptions {
  /** Timestep of the current chunk; the model's definition is 0 (tests use another value to show it matters). */
  currentTimestep?: number;
}

export function ditStepReference(
  preset: ModelPreset,
  W: Weights,
  inputs: DitStepInputs,
  options: DitReferenceOptions = {},
): { velocity: Float32Array; xNext: Float32Array } {
  const perBatch = inputs.text.map((text) => forward(preset, W, inputs, text, options.currentTimestep ?? 0));
  const vCond = perBatch[0]!;
  const vUncond = perBatch[perBatch.length - 1]!;
  const velocity = new Float32Array(vCond.length);
  const xNext = new Float32Array(vCond.length);
  for (let i = 0; i < velocity.length; i++) {
    velocity[i] = vUncond[i]! + inputs.guidance * (vCond[i]! - vUncond[i]!);
    xNext[i] = inputs.x[i]! + (inputs.sigmaNext - inputs.sigma) * velocity[i]!;
  }
  return { velocity, xNext };
}

/** v of the future chunks [C, 8, h, w] for one text entry. */
function forward(
  preset: ModelPreset,
  W: Weights,
  inp: DitStepInputs,
  text: Float32Array,
  currentTimestep: number,
): Float32Array {
  const { dim, heads, layers, textDim, freqDim, textLen, eps, ffn } = preset.dit;
  const [, ph, pw] = preset.dit.patch;
  const C = preset.latentChannels;
  const future = preset.sparseOffsets.length;
  const F = future + 1;
  const { height: h, width: w } = latentGrid(preset);
  const hp = h / ph;
  const wp = w / pw;
  const P = hp * wp;
  const S = F * P;
  const feat = C * ph * pw;

  // Patch embedding: feature order (c, ph, pw) as the flattened Conv3d kernel.
  const patches = new Float32Array(S * feat);
  for (let f = 0; f < F; f++)
    for (let i = 0; i < hp; i++)
      for (let j = 0; j < wp; j++)
        for (let c = 0; c < C; c++)
          for (let a = 0; a < ph; a++)
            for (let b = 0; b < pw; b++) {
              const y = i * ph + a;
              const xx = j * pw + b;
              const v =
                f === 0
                  ? inp.current[(c * h + y) * w + xx]!
                  : inp.x[((c * future + f - 1) * h + y) * w + xx]!;
              patches[(f * P + i * wp + j) * feat + (c * ph + a) * pw + b] = v;
            }
  const x = linear(patches, S, feat, W('patch_embedding.weight'), W('patch_embedding.bias'), dim);

  // Per-chunk timesteps, sinusoid evaluated at fp32 precision like the graph.
  const half = freqDim / 2;
  const sinus = new Float32Array(F * freqDim);
  for (let f = 0; f < F; f++) {
    const t = f === 0 ? currentTimestep : Math.fround(Math.fround(inp.sigma) * 1000);
    for (let i = 0; i < half; i++) {
      const arg = Math.fround(t * Math.fround(Math.exp((-Math.log(10000) * i) / half)));
      sinus[f * freqDim + i] = Math.cos(arg);
      sinus[f * freqDim + half + i] = Math.sin(arg);
    }
  }
  const te1 = map(
    linear(
      sinus,
      F,
      freqDim,
      W('condition_embedder.time_embedder.linear_1.weight'),
      W('condition_embedder.time_embedder.linear_1.bias'),
      dim,
    ),
    silu,
  );
  const temb = linear(
    te1,
    F,
    dim,
    W('condition_embedder.time_embedder.linear_2.weight'),
    W('condition_embedder.time_embedder.linear_2.bias'),
    dim,
  );
  const e0 = linear(
    map(temb, silu),
    F,
    dim,
    W('condition_embedder.time_proj.weight'),
    W('condition_embedder.time_proj.bias'),
    6 * dim,
  );

  const textTokens = embedder(text, textLen, textDim, dim, W, 'condition_embedder.text_embedder');
  const Lh = preset.history.videoformer.queries;
  const historyTokens = embedder(
    inp.history,
    Lh,
    preset.history.videoformer.hidden,
    dim,
    W,
    'history_embedder',
  );
  const angles = ropeAngles(inp.chunkOffsets, hp, wp, dim / heads);

  for (let n = 0; n < layers; n++) {
    const pre = `blocks.${n}.`;
    const table = W(`${pre}scale_shift_table`);
    const mod = (f: number, m: number, k: number) => table[m * dim + k]! + e0[f * 6 * dim + m * dim + k]!;
    const modulated = (shiftIdx: number, scaleIdx: number) => {
      const normed = layerNorm(x, S, dim, eps);
      for (let s = 0; s < S; s++) {
        const f = Math.floor(s / P);
        for (let k = 0; k < dim; k++)
          normed[s * dim + k] = normed[s * dim + k]! * (1 + mod(f, scaleIdx, k)) + mod(f, shiftIdx, k);
      }
      return normed;
    };
    const gatedAdd = (out: Float32Array, gateIdx: number) => {
      for (let s = 0; s < S; s++) {
        const f = Math.floor(s / P);
        for (let k = 0; k < dim; k++)
          x[s * dim + k] = x[s * dim + k]! + mod(f, gateIdx, k) * out[s * dim + k]!;
      }
    };
    const plainAdd = (out: Float32Array) => {
      for (let i = 0; i < x.length; i++) x[i] = x[i]! + out[i]!;
    };

    const selfIn = modulated(0, 1);
    gatedAdd(attention(W, `${pre}attn1`, selfIn, S, selfIn, S, dim, heads, eps, angles), 2);
    const textIn = affineNorm(x, S, dim, eps, W(`${pre}norm2.weight`), W(`${pre}norm2.bias`));
    plainAdd(attention(W, `${pre}attn2`, textIn, S, textTokens, textLen, dim, heads, eps));
    const historyIn = affineNorm(x, S, dim, eps, W(`${pre}norm3.weight`), W(`${pre}norm3.bias`));
    plainAdd(attention(W, `${pre}attn3`, historyIn, S, historyTokens, Lh, dim, heads, eps));
    const ffnIn = modulated(3, 4);
    const hidden = map(
      linear(ffnIn, S, dim, W(`${pre}ffn.net.0.proj.weight`), W(`${pre}ffn.net.0.proj.bias`), ffn),
      geluTanh,
    );
    gatedAdd(linear(hidden, S, ffn, W(`${pre}ffn.net.2.weight`), W(`${pre}ffn.net.2.bias`), dim), 5);
  }

  // Head on the future chunks: (shift, scale) = table + temb; unpatchify with channels innermost.
  const head = W('scale_shift_table');
  const normed = layerNorm(x, S, dim, eps);
  for (let s = 0; s < S; s++) {
    const f = Math.floor(s / P);
    for (let k = 0; k < dim; k++) {
      const shift = head[k]! + temb[f * dim + k]!;
      const scale = head[dim + k]! + temb[f * dim + k]!;
      normed[s * dim + k] = normed[s * dim + k]! * (1 + scale) + shift;
    }
  }
  const outF = ph * pw * C;
  const out = linear(normed, S, dim, W('proj_out.weight'), W('proj_out.bias'), outF);
  const v = new Float32Array(C * future * h * w);
  for (let f = 1; f < F; f++)
    for (let i = 0; i < hp; i++)
      for (let j = 0; j < wp; j++)
        for (let a = 0; a < ph; a++)
          for (let b = 0; b < pw; b++)
            for (let c = 0; c < C; c++) {
              const s = f * P + i * wp + j;
              v[((c * future + f - 1) * h + i * ph + a) * w + j * pw + b] =
                out[s * outF + (a * pw + b) * C + c]!;
            }
  return v;
}

function embedder(
  x: Float32Array,
  n: number,
  inDim: number,
  dim: number,
  W: Weights,
  name: string,
): Float32Array {
  const hidden = map(
    linear(x, n, inDim, W(`${name}.linear_1.weight`), W(`${name}.linear_1.bias`), dim),
    geluTanh,
  );
  return linear(hidden, n, dim, W(`${name}.linear_2.weight`), W(`${name}.linear_2.bias`), dim);
}

/** Rotation angle of each (token, pair): frame | height | width split of the head dim. */
function ropeAngles(offsets: readonly number[], hp: number, wp: number, headDim: number): Float64Array {
  const hw = 2 * Math.floor(headDim / 6);
  const dims = [headDim - 2 * hw, hw, hw];
  const half = headDim / 2;
  const out = new Float64Array(offsets.length * hp * wp * half);
  let s = 0;
  for (let f = 0; f < offsets.length; f++)
    for (let i = 0; i < hp; i++)
      for (let j = 0; j < wp; j++, s++) {
        let p = 0;
        [offsets[f]!, i, j].forEach((pos, axis) => {
          const d = dims[axis]!;
          for (let k = 0; k < d / 2; k++, p++) out[s * half + p] = pos * Math.pow(10000, (-2 * k) / d);
        });
      }
  return out;
}

function attention(
  W: Weights,
  name: string,
  xq: Float32Array,
  sq: number,
  ctx: Float32Array,
  sk: number,
  dim: number,
  heads: number,
  eps: number,
  angles?: Float64Array,
): Float32Array {
  const q = rmsNorm(
    linear(xq, sq, dim, W(`${name}.to_q.weight`), W(`${name}.to_q.bias`), dim),
    sq,
    dim,
    eps,
    W(`${name}.norm_q.weight`),
  );
  const k = rmsNorm(
    linear(ctx, sk, dim, W(`${name}.to_k.weight`), W(`${name}.to_k.bias`), dim),
    sk,
    dim,
    eps,
    W(`${name}.norm_k.weight`),
  );
  const v = linear(ctx, sk, dim, W(`${name}.to_v.weight`), W(`${name}.to_v.bias`), dim);
  const hd = dim / heads;
  if (angles) {
    rotate(q, sq, dim, hd, angles);
    rotate(k, sk, dim, hd, angles);
  }
  const o = new Float32Array(sq * dim);
  const scores = new Float64Array(sk);
  for (let hh = 0; hh < heads; hh++)
    for (let i = 0; i < sq; i++) {
      let max = -Infinity;
      for (let j = 0; j < sk; j++) {
        let dot = 0;
        for (let d = 0; d < hd; d++) dot += q[i * dim + hh * hd + d]! * k[j * dim + hh * hd + d]!;
        scores[j] = dot / Math.sqrt(hd);
        max = Math.max(max, scores[j]!);
      }
      let sum = 0;
      for (let j = 0; j < sk; j++) sum += scores[j] = Math.exp(scores[j]! - max);
      for (let d = 0; d < hd; d++) {
        let acc = 0;
        for (let j = 0; j < sk; j++) acc += scores[j]! * v[j * dim + hh * hd + d]!;
        o[i * dim + hh * hd + d] = acc / sum;
      }
    }
  return linear(o, sq, dim, W(`${name}.to_out.0.weight`), W(`${name}.to_out.0.bias`), dim);
}

/** Rotates adjacent pairs (2p, 2p+1) of every head in place. */
function rotate(x: Float32Array, n: number, dim: number, hd: number, angles: Float64Array): void {
  const half = hd / 2;
  for (let s = 0; s < n; s++)
    for (let base = 0; base < dim; base += hd)
      for (let p = 0; p < half; p++) {
        const a = angles[s * half + p]!;
        const i0 = s * dim + base + 2 * p;
        const x0 = x[i0]!;
        const x1 = x[i0 + 1]!;
        x[i0] = x0 * Math.cos(a) - x1 * Math.sin(a);
        x[i0 + 1] = x0 * Math.sin(a) + x1 * Math.cos(a);
      }
}

/** y = x Wᵀ + b with W [out, in] (PyTorch layout). */
function linear(
  x: Float32Array,
  n: number,
  inF: number,
  weight: Float32Array,
  bias: Float32Array,
  outF: number,
): Float32Array {
  if (weight.length !== outF * inF)
    throw new Error(`reference linear: weight has ${weight.length} values, expected ${outF}×${inF}`);
  const y = new Float32Array(n * outF);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < outF; o++) {
      let acc = bias[o]!;
      for (let i = 0; i < inF; i++) acc += x[r * inF + i]! * weight[o * inF + i]!;
      y[r * outF + o] = acc;
    }
  return y;
}

function layerNorm(x: Float32Array, n: number, d: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[r * d + k]!;
    mean /= d;
    let variance = 0;
    for (let k = 0; k < d; k++) variance += (x[r * d + k]! - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / d + eps);
    for (let k = 0; k < d; k++) y[r * d + k] = (x[r * d + k]! - mean) * inv;
  }
  return y;
}

function affineNorm(
  x: Float32Array,
  n: number,
  d: number,
  eps: number,
  weight: Float32Array,
  bias: Float32Array,
): Float32Array {
  const y = layerNorm(x, n, d, eps);
  for (let i = 0; i < y.length; i++) y[i] = y[i]! * weight[i % d]! + bias[i % d]!;
  return y;
}

function rmsNorm(x: Float32Array, n: number, d: number, eps: number, weight: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < n; r++) {
    let ms = 0;
    for (let k = 0; k < d; k++) ms += x[r * d + k]! ** 2;
    const inv = 1 / Math.sqrt(ms / d + eps);
    for (let k = 0; k < d; k++) y[r * d + k] = x[r * d + k]! * inv * weight[k]!;
  }
  return y;
}

function map(x: Float32Array, fn: (v: number) => number): Float32Array {
  return x.map(fn);
}

const silu = (v: number) => v / (1 + Math.exp(-v));
const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
