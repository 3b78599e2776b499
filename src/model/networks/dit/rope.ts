import type { Dim, GraphBuilder, Tensor } from '../../onnx/graph';
import { add, cast, concat, cos, expand, mul, reshape, sin, splitLast, sub } from '../../onnx/ops';

/**
 * Wan's 3-D rotary position embedding for self-attention. The head dim is split frame | height | width; each axis
 * rotates adjacent pairs (2i, 2i+1) by position · 10000^(−2j/d_axis). Height and width positions are the grid
 * indices (constants); the frame position of chunk i is `chunk_offsets[i]`, a graph input, so the model sees the
 * real gaps between the sparse future chunks (0 for the current chunk, then 1, 2, 5, …, 20).
 */

/** Head-dim split frame | height | width: d − 4⌊d/6⌋ | 2⌊d/6⌋ | 2⌊d/6⌋ (44 | 42 | 42 at 128). */
export function ropeAxes(headDim: number): { frame: number; height: number; width: number } {
  const hw = 2 * Math.floor(headDim / 6);
  const frame = headDim - 2 * hw;
  if (headDim % 2 || frame % 2 || hw === 0)
    throw new Error(`dit: head dim ${headDim} cannot be split into even 3-D RoPE axes`);
  return { frame, height: hw, width: hw };
}

function axisFrequencies(axisDim: number): Float32Array {
  const out = new Float32Array(axisDim / 2);
  for (let j = 0; j < out.length; j++) out[j] = Math.pow(10000, (-2 * j) / axisDim);
  return out;
}

/** Rotation angles of every (token, pair) from grid indices, flattened over the given axis lengths. */
function gridAngles(positions: number, axisDim: number): Float32Array {
  const freqs = axisFrequencies(axisDim);
  const out = new Float32Array(positions * freqs.length);
  for (let p = 0; p < positions; p++)
    for (let j = 0; j < freqs.length; j++) out[p * freqs.length + j] = p * freqs[j]!;
  return out;
}

export interface RopeTable {
  /** [S, 1, headDim/2, 1] in the graph's float type: broadcasts over [B, S, heads, headDim/2, 1]. */
  cos: Tensor;
  sin: Tensor;
}

/**
 * cos/sin of the rotation angles for the token grid [F, hp, wp] (tokens in (f, h, w) row-major order).
 * chunkOffsets: int64 [F].
 */
export function ropeTable(
  g: GraphBuilder,
  chunkOffsets: Tensor,
  hp: number,
  wp: number,
  headDim: number,
): RopeTable {
  const axes = ropeAxes(headDim);
  const [f] = chunkOffsets.shape as [number];
  const half = { frame: axes.frame / 2, height: axes.height / 2, width: axes.width / 2 };
  const grid = [f, hp, wp];
  const positions = reshape(g, cast(g, chunkOffsets, 'float32'), [f, 1]);
  const frameFreqs = g.constant(axisFrequencies(axes.frame), [1, half.frame], 'float32', 'rope_frame_freqs');
  const frame = reshape(g, mul(g, positions, frameFreqs), [f, 1, 1, half.frame]);
  const height = g.constant(gridAngles(hp, axes.height), [1, hp, 1, half.height], 'float32', 'rope_height');
  const width = g.constant(gridAngles(wp, axes.width), [1, 1, wp, half.width], 'float32', 'rope_width');
  const angles = concat(
    g,
    [
      expand(g, frame, [...grid, half.frame]),
      expand(g, height, [...grid, half.height]),
      expand(g, width, [...grid, half.width]),
    ],
    -1,
  ); // [F, hp, wp, headDim/2]
  const flat = reshape(g, angles, [f * hp * wp, 1, headDim / 2, 1]);
  return { cos: cast(g, cos(g, flat), g.floatType), sin: cast(g, sin(g, flat), g.floatType) };
}

/** Rotates adjacent pairs of every head of x [B, S, heads·headDim] by the table's angles. */
export function applyRope(g: GraphBuilder, x: Tensor, heads: number, table: RopeTable): Tensor {
  const [, s, d] = x.shape as [Dim, number, number];
  const headDim = d / heads;
  const pairs = reshape(g, x, [0, s, heads, headDim / 2, 2]); // [B, S, heads, headDim/2, 2]
  const [x0, x1] = splitLast(g, pairs, 2) as [Tensor, Tensor]; // each [B, S, heads, headDim/2, 1]
  const r0 = sub(g, mul(g, x0, table.cos), mul(g, x1, table.sin));
  const r1 = add(g, mul(g, x0, table.sin), mul(g, x1, table.cos));
  return reshape(g, concat(g, [r0, r1], -1), [0, s, d]);
}
