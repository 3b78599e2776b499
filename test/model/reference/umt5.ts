/**
 * Plain TypeScript reference of the umT5 encoder, written from the T5/umT5 equations: loops over Float32Array,
 * float64 accumulation, no graph code. Weights by Hugging Face name in checkpoint layout (Linear weight [out, in]).
 */

export interface Umt5Config {
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  headDim: number;
  ffn: number;
  relBuckets: number;
  relMaxDistance: number;
  maxTokens: number;
  eps: number;
}

export type Weights = ReadonlyMap<string, Float32Array>;

function w(weights: Weights, name: string): Float32Array {
  const v = weights.get(name);
  if (!v) throw new Error(`umt5 reference: no weight ${name}`);
  return v;
}

/**
 * The bidirectional bucket, by thresholds instead of a logarithm: distance n ≥ maxExact falls in log bucket j when
 * it reaches maxExact · (maxDistance/maxExact)^(j/logBuckets). Keys after the query use the upper half.
 */
export function referenceBucket(relativePosition: number, numBuckets: number, maxDistance: number): number {
  const half = Math.floor(numBuckets / 2);
  const exact = Math.floor(half / 2);
  const logBuckets = half - exact;
  const base = relativePosition > 0 ? half : 0;
  const n = Math.abs(relativePosition);
  if (n < exact) return base + n;
  let j = 0;
  while (j + 1 < logBuckets && n >= exact * (maxDistance / exact) ** ((j + 1) / logBuckets) - 1e-9) j++;
  return base + exact + j;
}

/** rows × cols (x) times Wᵀ where W is [out, cols]. */
function project(x: Float32Array, rows: number, cols: number, W: Float32Array, out: number): Float32Array {
  if (W.length !== out * cols) throw new Error(`umt5 reference: weight of ${W.length} ≠ ${out}×${cols}`);
  const y = new Float32Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < cols; i++) s += x[r * cols + i]! * W[o * cols + i]!;
      y[r * out + o] = s;
    }
  }
  return y;
}

function rmsNorm(
  x: Float32Array,
  rows: number,
  cols: number,
  gamma: Float32Array,
  eps: number,
): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < cols; i++) ss += x[r * cols + i]! ** 2;
    const inv = 1 / Math.sqrt(ss / cols + eps);
    for (let i = 0; i < cols; i++) y[r * cols + i] = x[r * cols + i]! * inv * gamma[i]!;
  }
  return y;
}

function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/**
 * umT5 encoder output [S × D] for one sequence. Padded keys (mask 0) take no part in any softmax; rows of padded
 * queries are zero in the output (Wan pads the context with zeros).
 */
export function umt5Reference(
  c: Umt5Config,
  weights: Weights,
  ids: readonly number[],
  mask: readonly number[],
): Float32Array {
  const S = c.maxTokens;
  const D = c.dModel;
  const inner = c.heads * c.headDim;
  if (ids.length !== S || mask.length !== S) throw new Error(`umt5 reference: need ${S} ids and mask values`);
  const table = w(weights, 'shared.weight');
  let h = new Float32Array(S * D);
  for (let s = 0; s < S; s++) h.set(table.subarray(ids[s]! * D, ids[s]! * D + D), s * D);

  for (let l = 0; l < c.layers; l++) {
    const p = `encoder.block.${l}.layer`;
    // Self-attention: logits q·k (no 1/√d) + bias[bucket(k − q), head], softmax over unpadded keys.
    const x = rmsNorm(h, S, D, w(weights, `${p}.0.layer_norm.weight`), c.eps);
    const q = project(x, S, D, w(weights, `${p}.0.SelfAttention.q.weight`), inner);
    const k = project(x, S, D, w(weights, `${p}.0.SelfAttention.k.weight`), inner);
    const v = project(x, S, D, w(weights, `${p}.0.SelfAttention.v.weight`), inner);
    const rel = w(weights, `${p}.0.SelfAttention.relative_attention_bias.weight`); // [buckets, heads]
    const attended = new Float32Array(S * inner);
    for (let head = 0; head < c.heads; head++) {
      const off = head * c.headDim;
      for (let i = 0; i < S; i++) {
        const logits: number[] = [];
        const keys: number[] = [];
        for (let j = 0; j < S; j++) {
          if (!mask[j]) continue;
          let dot = 0;
          for (let d = 0; d < c.headDim; d++) dot += q[i * inner + off + d]! * k[j * inner + off + d]!;
          logits.push(dot + rel[referenceBucket(j - i, c.relBuckets, c.relMaxDistance) * c.heads + head]!);
          keys.push(j);
        }
        const top = Math.max(...logits);
        const e = logits.map((z) => Math.exp(z - top));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < c.headDim; d++) {
          let acc = 0;
          keys.forEach((j, n) => (acc += (e[n]! / sum) * v[j * inner + off + d]!));
          attended[i * inner + off + d] = acc;
        }
      }
    }
    const o = project(attended, S, inner, w(weights, `${p}.0.SelfAttention.o.weight`), D);
    h = h.map((a, i) => a + o[i]!);
    // Gated-GELU FFN: wo(gelu_tanh(wi_0 x) · wi_1 x).
    const y = rmsNorm(h, S, D, w(weights, `${p}.1.layer_norm.weight`), c.eps);
    const gate = project(y, S, D, w(weights, `${p}.1.DenseReluDense.wi_0.weight`), c.ffn);
    const up = project(y, S, D, w(weights, `${p}.1.DenseReluDense.wi_1.weight`), c.ffn);
    const hidden = gate.map((g, i) => geluTanh(g) * up[i]!);
    const f = project(hidden, S, c.ffn, w(weights, `${p}.1.DenseReluDense.wo.weight`), D);
    h = h.map((a, i) => a + f[i]!);
  }
  const out = rmsNorm(h, S, D, w(weights, 'encoder.final_layer_norm.weight'), c.eps);
  for (let s = 0; s < S; s++) if (!mask[s]) out.fill(0, s * D, s * D + D);
  return out;
}
