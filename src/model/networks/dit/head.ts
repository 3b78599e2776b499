import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { add, cast, linear, reshape, slice, transpose, unsqueeze } from '../../onnx/ops';
import { modulate } from './common';

/**
 * The release's `head`: (shift, scale) = `head.modulation` [1, 2, dim] + e (the time embedding, not e0), then
 * `head.head` on LN(x)(1+scale)+shift. x [1, S, dim] fp32, e [1, dim] fp32 → [1, S, ph·pw·C] (`head_out`).
 */
export function outputHead(
  g: GraphBuilder,
  x: Tensor,
  e: Tensor,
  options: { dim: number; eps: number; outFeatures: number },
): Tensor {
  const { dim, eps, outFeatures } = options;
  return g.scope('head', () => {
    const table = g.param('modulation', [1, 2, dim], { kind: 'normal', std: 1 / Math.sqrt(dim) });
    const mods = add(g, cast(g, table, 'float32'), unsqueeze(g, e, [1])); // [1, 2, dim]
    const [shift, scale] = [slice(g, mods, 1, 0, 1), slice(g, mods, 1, 1, 2)];
    return linear(g, modulate(g, x, dim, eps, shift, scale), 'head', dim, outFeatures);
  });
}

/**
 * Wan's unpatchify: each token's features are ordered (p, q, r, c) with the channel innermost; token (f, h, w)
 * fills out[c, f, h·ph + q, w·pw + r] (temporal patch 1). [1, S, ph·pw·C] → [1, C, F, hp·ph, wp·pw].
 */
export function unpatchify(
  g: GraphBuilder,
  x: Tensor,
  grid: readonly [number, number, number],
  patch: readonly [number, number, number],
  channels: number,
): Tensor {
  const [f, hp, wp] = grid;
  const [, ph, pw] = patch;
  const split = reshape(g, x, [1, f, hp, wp, ph, pw, channels]);
  const ordered = transpose(g, split, [0, 6, 1, 2, 4, 3, 5]); // [1, C, F, hp, ph, wp, pw]
  return reshape(g, ordered, [1, channels, f, hp * ph, wp * pw]);
}
