import type { GraphBuilder, Tensor } from '../../onnx/graph';
import {
  add,
  assertShape,
  cast,
  gather,
  gelu,
  linear,
  matmul,
  reshape,
  silu,
  transpose,
} from '../../onnx/ops';

/**
 * The input embeddings of the release's WanModel (OFFICIAL.md §5), with its parameter names: the patch embedding,
 * the text MLP and the time embedding of the integer timestep.
 */

/**
 * `patch_embedding`: Conv3d C→dim with kernel = stride = (1, ph, pw), expressed as patchify + MatMul. The weight
 * keeps the checkpoint's 5-D shape [dim, C, 1, ph, pw] and is flattened in the graph (ORT folds that at load).
 * latents [1, C, F, H, W] → tokens [1, F·hp·wp, dim] in (frame, row, column) order, as `flatten(2)` leaves them.
 */
export function patchEmbedding(
  g: GraphBuilder,
  latents: Tensor,
  dim: number,
  patch: readonly [number, number, number],
): Tensor {
  const [pt, ph, pw] = patch;
  const [b, c, f, h, w] = latents.shape as number[];
  if (pt !== 1) throw new Error(`dit: temporal patch ${pt} unsupported — one chunk is one latent frame`);
  if (h! % ph || w! % pw) throw new Error(`dit: latent ${h}×${w} is not divisible by patch ${ph}×${pw}`);
  const [hp, wp] = [h! / ph, w! / pw];
  const features = c! * ph * pw;
  return g.scope('patch_embedding', () => {
    const weight = g.param('weight', [dim, c!, pt, ph, pw], { kind: 'normal', std: 0.02 });
    const bias = g.param('bias', [dim], { kind: 'constant', value: 0 });
    const wMat = transpose(g, reshape(g, weight, [dim, features]), [1, 0]); // [C·ph·pw, dim]
    const split = reshape(g, latents, [b!, c!, f!, hp, ph, wp, pw]);
    const patches = transpose(g, split, [0, 2, 3, 5, 1, 4, 6]); // [1, F, hp, wp, C, ph, pw]
    const flat = reshape(g, patches, [b!, f! * hp * wp, features]); // [1, S, C·ph·pw]
    return add(g, matmul(g, flat, wMat), bias); // [1, S, dim]
  });
}

/** `text_embedding`: Linear(textDim → dim), GELU(tanh), Linear(dim → dim) on the zero-padded text rows. */
export function textEmbedding(g: GraphBuilder, text: Tensor, textDim: number, dim: number): Tensor {
  return g.scope('text_embedding', () => {
    const h = gelu(g, linear(g, text, '0', textDim, dim), 'tanh');
    return linear(g, h, '2', dim, dim);
  });
}

/**
 * Row t = [cos(t·ω_i), sin(t·ω_i)], ω_i = 10000^(−i/half), i < half, for every integer timestep t < `count`,
 * computed in float64 like Wan's `sinusoidal_embedding_1d` and rounded once to float32. A lookup table instead of
 * in-graph Sin/Cos keeps large arguments (t·ω up to ≈1000 rad) exact in any float type and on every provider.
 */
export function timestepTable(count: number, freqDim: number): Float32Array {
  if (freqDim % 2) throw new Error(`dit: freqDim must be even, got ${freqDim}`);
  const half = freqDim / 2;
  const out = new Float32Array(count * freqDim);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.pow(10000, -i / half);
      out[t * freqDim + i] = Math.cos(angle);
      out[t * freqDim + half + i] = Math.sin(angle);
    }
  }
  return out;
}

/**
 * `time_embedding` (Linear, SiLU, Linear) and `time_projection` (SiLU, Linear) of one integer timestep for all
 * tokens. timestep int64 [1] (0 ≤ t < `count`; larger values fail in the Gather) → e [1, dim] (head modulation) and
 * e0 [1, 6, dim] (block modulations), both fp32 as Wan applies modulation in fp32.
 */
export function timeEmbedding(
  g: GraphBuilder,
  timestep: Tensor,
  options: { freqDim: number; dim: number; count: number },
): { e: Tensor; e0: Tensor } {
  const { freqDim, dim, count } = options;
  const table = g.constant(timestepTable(count, freqDim), [count, freqDim], 'float32', 'timestep_table');
  const features = cast(g, gather(g, table, timestep, 0), g.floatType); // [1, freqDim]
  const e = g.scope('time_embedding', () =>
    linear(g, silu(g, linear(g, features, '0', freqDim, dim)), '2', dim, dim),
  );
  const e0 = g.scope('time_projection', () => linear(g, silu(g, e), '1', dim, 6 * dim));
  assertShape(e0, [1, 6 * dim], 'dit.e0');
  return { e: cast(g, e, 'float32'), e0: reshape(g, cast(g, e0, 'float32'), [1, 6, dim]) };
}
