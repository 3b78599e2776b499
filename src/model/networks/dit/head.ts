import type { Dim, GraphBuilder, Tensor } from '../../onnx/graph';
import { add, cast, linear, mul, reshape, splitLast, transpose, unsqueeze } from '../../onnx/ops';
import { layerNorm32 } from './common';

/**
 * Wan's output head: (shift, scale) = `scale_shift_table` [1, 2, dim] + temb (not e0), `proj_out` on
 * LN(x)(1+scale)+shift, then unpatchify with the channels innermost (p_h, p_w, c) as Wan does.
 * x [B, F, P, dim] fp32, temb [F, dim] fp32 → velocity [B, C, F, H, W] in the graph's float type.
 */
export function outputHead(
  g: GraphBuilder,
  x: Tensor,
  temb: Tensor,
  options: {
    dim: number;
    eps: number;
    channels: number;
    patch: readonly [number, number, number];
    grid: [number, number];
  },
): Tensor {
  const { dim, eps, channels, patch, grid } = options;
  const [, ph, pw] = patch;
  const [hp, wp] = grid;
  const [, f] = x.shape as [Dim, number];
  const table = g.param('scale_shift_table', [1, 2, dim], { kind: 'normal', std: 1 / Math.sqrt(dim) });
  const [shiftT, scaleT] = splitLast(g, reshape(g, cast(g, table, 'float32'), [2 * dim]), 2) as [
    Tensor,
    Tensor,
  ];
  const t = unsqueeze(g, temb, [1]); // [F, 1, dim]
  const shift = add(g, t, shiftT);
  const scale = add(g, t, scaleT);
  const one = g.constant(new Float32Array([1]), [], 'float32', 'one');
  const normed = cast(g, add(g, mul(g, layerNorm32(g, x, dim, eps), add(g, scale, one)), shift), g.floatType);
  const out = linear(g, normed, 'proj_out', dim, ph * pw * channels); // [B, F, P, ph·pw·C]
  const split = reshape(g, out, [0, f, hp, wp, ph, pw, channels]);
  const ordered = transpose(g, split, [0, 6, 1, 2, 4, 3, 5]); // [B, C, F, hp, ph, wp, pw]
  return reshape(g, ordered, [0, channels, f, hp * ph, wp * pw]);
}
