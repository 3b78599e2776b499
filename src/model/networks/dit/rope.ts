import type { Dim, GraphBuilder, Tensor } from '../../onnx/graph';
import { add, concat, mul, reshape, splitLast, sub } from '../../onnx/ops';

/**
 * Wan's 3-D rotary position embedding of the self-attention (OFFICIAL.md §5). Each head's channels form headDim/2
 * complex pairs of adjacent channels (2i, 2i+1); the pairs are split frame | height | width and rotate by
 * position · 10000^(−2j/d_axis). Positions are the plain token-grid indices (frames 0…F−1 contiguous: the release
 * encodes no gaps between its sparse future chunks), so the whole table is a constant computed here in float64.
 */

/**
 * Channels per axis: frame d − 4⌊d/6⌋, height and width 2⌊d/6⌋ each (44 | 42 | 42 at head dim 128, 12 | 10 | 10
 * at 32), i.e. the release's pair split c − 2⌊c/3⌋ | ⌊c/3⌋ | ⌊c/3⌋ with c = d/2 pairs.
 */
export function ropeAxes(headDim: number): { frame: number; height: number; width: number } {
  const hw = 2 * Math.floor(headDim / 6);
  const frame = headDim - 2 * hw;
  if (headDim % 2 || hw === 0)
    throw new Error(`dit: head dim ${headDim} cannot be split into 3-D RoPE axes (needs an even dim ≥ 6)`);
  return { frame, height: hw, width: hw };
}

/** Rotation angle of every (token, pair) for the grid [F, hp, wp], tokens in (f, h, w) row-major order. */
export function ropeAngles(grid: readonly [number, number, number], headDim: number): Float64Array {
  const axes = ropeAxes(headDim);
  const freqs = (axisDim: number) =>
    Array.from({ length: axisDim / 2 }, (_, j) => 1 / Math.pow(10000, (2 * j) / axisDim));
  const [ff, fh, fw] = [freqs(axes.frame), freqs(axes.height), freqs(axes.width)];
  const pairs = headDim / 2;
  const [f, hp, wp] = grid;
  const out = new Float64Array(f * hp * wp * pairs);
  let o = 0;
  for (let t = 0; t < f; t++)
    for (let r = 0; r < hp; r++)
      for (let c = 0; c < wp; c++) {
        for (const v of ff) out[o++] = t * v;
        for (const v of fh) out[o++] = r * v;
        for (const v of fw) out[o++] = c * v;
      }
  return out;
}

export interface RopeTable {
  /** [S, 1, headDim/2, 1] in the graph's float type: broadcasts over [B, S, heads, headDim/2, 1]. */
  cos: Tensor;
  sin: Tensor;
}

/** cos/sin of the rotation angles as graph constants (rounded once from float64). */
export function ropeTable(
  g: GraphBuilder,
  grid: readonly [number, number, number],
  headDim: number,
): RopeTable {
  const angles = ropeAngles(grid, headDim);
  const shape = [grid[0] * grid[1] * grid[2], 1, headDim / 2, 1];
  return {
    cos: g.constant(Float32Array.from(angles, Math.cos), shape, g.floatType, 'rope_cos'),
    sin: g.constant(Float32Array.from(angles, Math.sin), shape, g.floatType, 'rope_sin'),
  };
}

/** Rotates adjacent channel pairs of every head of x [B, S, heads·headDim] by the table's angles. */
export function applyRope(g: GraphBuilder, x: Tensor, heads: number, table: RopeTable): Tensor {
  const [, s, d] = x.shape as [Dim, number, number];
  const headDim = d / heads;
  const pairs = reshape(g, x, [0, s, heads, headDim / 2, 2]); // [B, S, heads, headDim/2, 2]
  const [x0, x1] = splitLast(g, pairs, 2) as [Tensor, Tensor]; // each [B, S, heads, headDim/2, 1]
  const r0 = sub(g, mul(g, x0, table.cos), mul(g, x1, table.sin));
  const r1 = add(g, mul(g, x0, table.sin), mul(g, x1, table.cos));
  return reshape(g, concat(g, [r0, r1], -1), [0, s, d]);
}
