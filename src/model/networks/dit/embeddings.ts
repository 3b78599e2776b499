import type { GraphBuilder, Tensor } from '../../onnx/graph';
import {
  add,
  assertShape,
  cast,
  concat,
  cos,
  gelu,
  linear,
  matmul,
  mul,
  reshape,
  silu,
  sin,
  transpose,
} from '../../onnx/ops';

/**
 * Wan2.1's input embeddings with Diffusers' parameter names: the patch embedding (a Conv3d whose kernel equals its
 * stride, so it is a patchify + MatMul), the text/history projections and the per-chunk timestep embedding.
 */

/**
 * `patch_embedding`: Conv3d C→dim, kernel = stride = (1, ph, pw). The weight keeps the checkpoint's 5-D shape
 * [dim, C, 1, ph, pw] and is flattened in the graph (ORT folds that once at load).
 * latents [1, C, F, H, W] → tokens [1, F, P, dim], P = (H/ph)·(W/pw) in (h, w) row-major order.
 */
export function patchEmbedding(
  g: GraphBuilder,
  latents: Tensor,
  dim: number,
  patch: readonly [number, number, number],
): Tensor {
  const [pt, ph, pw] = patch;
  const [b, c, f, h, w] = latents.shape as number[];
  if (pt !== 1)
    throw new Error(
      `dit: temporal patch ${pt} unsupported — one chunk is one latent frame (patch (1, ph, pw))`,
    );
  if (h! % ph || w! % pw) throw new Error(`dit: latent ${h}×${w} is not divisible by patch ${ph}×${pw}`);
  const [hp, wp] = [h! / ph, w! / pw];
  const features = c! * ph * pw;
  return g.scope('patch_embedding', () => {
    const weight = g.param('weight', [dim, c!, pt, ph, pw], { kind: 'normal', std: 0.02 });
    const bias = g.param('bias', [dim], { kind: 'constant', value: 0 });
    const wMat = transpose(g, reshape(g, weight, [dim, features]), [1, 0]); // [C·ph·pw, dim]
    const split = reshape(g, latents, [b!, c!, f!, hp, ph, wp, pw]);
    const patches = transpose(g, split, [0, 2, 3, 5, 1, 4, 6]); // [1, F, hp, wp, C, ph, pw]
    const flat = reshape(g, patches, [b!, f!, hp * wp, features]); // [1, F, P, C·ph·pw]
    return add(g, matmul(g, flat, wMat), bias); // [1, F, P, dim]
  });
}

/** Linear, GELU(tanh), Linear — Wan's text projection (PixArt-α style), reused for the history tokens. */
export function tokenEmbedder(g: GraphBuilder, name: string, x: Tensor, inDim: number, dim: number): Tensor {
  return g.scope(name, () => {
    const h = gelu(g, linear(g, x, 'linear_1', inDim, dim), 'tanh');
    return linear(g, h, 'linear_2', dim, dim);
  });
}

/**
 * Sinusoidal timestep features, cos half first, frequencies 10000^(−i/half) (Diffusers' Timesteps with
 * flip_sin_to_cos and no frequency shift). timesteps [F] fp32 → [F, freqDim] fp32.
 */
export function timestepSinusoid(g: GraphBuilder, timesteps: Tensor, freqDim: number): Tensor {
  if (freqDim % 2) throw new Error(`dit: freqDim must be even, got ${freqDim}`);
  const half = freqDim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const [f] = timesteps.shape;
  const args = mul(g, reshape(g, timesteps, [f!, 1]), g.constant(freqs, [1, half], 'float32', 'time_freqs')); // [F, half]
  return concat(g, [cos(g, args), sin(g, args)], -1);
}

/**
 * `condition_embedder.time_embedder` and `time_proj` on per-chunk timesteps. Returns temb [F, dim] (for the head)
 * and e0 [F, 6·dim] (the six block modulations), both fp32 because Wan applies modulation in fp32.
 */
export function timeEmbedding(
  g: GraphBuilder,
  timesteps: Tensor,
  freqDim: number,
  dim: number,
): { temb: Tensor; e0: Tensor } {
  const [f] = timesteps.shape;
  const features = cast(g, timestepSinusoid(g, timesteps, freqDim), g.floatType);
  const temb = g.scope('time_embedder', () => {
    const h = silu(g, linear(g, features, 'linear_1', freqDim, dim));
    return linear(g, h, 'linear_2', dim, dim);
  });
  const e0 = linear(g, silu(g, temb), 'time_proj', dim, 6 * dim);
  assertShape(e0, [f!, 6 * dim], 'dit.e0');
  return { temb: cast(g, temb, 'float32'), e0: cast(g, e0, 'float32') };
}
