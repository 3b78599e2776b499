import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { add, cast, linear, mul, multiHeadAttention, rmsNorm, slice } from '../../onnx/ops';
import { mlp } from '../ffn';
import { affineLayerNorm, modulate } from './common';
import { applyRope, type RopeTable } from './rope';

/**
 * One `WanHistoryAttentionBlock` of the release (OFFICIAL.md §5), parameters `blocks.N.*`:
 *   (shift, scale, gate, c_shift, c_scale, c_gate) = modulation + e0           (fp32)
 *   x += gate · self_attn(LN(x)(1+scale)+shift)                                3-D RoPE
 *   x += cross_attn(norm3(x), text context)                                    no mask, no gate
 *   x += history_cross_attn(norm_history(x), history_proj(history features))  no mask, no gate
 *   x += c_gate · ffn(LN(x)(1+c_scale)+c_shift)
 * The residual stream stays fp32 (Wan adds in fp32); projections and attention run in the graph's float type.
 */

export interface BlockSize {
  dim: number;
  heads: number;
  ffn: number;
  eps: number;
  /** Width of the history features (`history_dim` = the Q-Former dim). */
  historyDim: number;
}

export interface BlockInputs {
  /** e0 [1, 6, dim] fp32: the time projection shared by every block. */
  e0: Tensor;
  rope: RopeTable;
  /** Embedded text [1, textLen, dim], float type. */
  context: Tensor;
  /** Video-Former output [1, historyTokens, historyDim], float type. */
  history: Tensor;
}

/**
 * Wan attention: q and k are RMS-normalised over the full width (`norm_q`, `norm_k`) before the head split, RoPE
 * on q and k when given (self-attention only), softmax scale 1/√headDim, output linear `o`. All four linears have
 * biases. x [1, S, dim], context [1, L, dim] → [1, S, dim] in the graph's float type.
 */
export function wanAttention(
  g: GraphBuilder,
  name: string,
  x: Tensor,
  context: Tensor,
  size: Pick<BlockSize, 'dim' | 'heads' | 'eps'>,
  rope?: RopeTable,
): Tensor {
  const { dim, heads, eps } = size;
  return g.scope(name, () => {
    let q = rmsNorm(g, linear(g, x, 'q', dim, dim), dim, { eps, name: 'norm_q' });
    let k = rmsNorm(g, linear(g, context, 'k', dim, dim), dim, { eps, name: 'norm_k' });
    const v = linear(g, context, 'v', dim, dim);
    if (rope) {
      q = applyRope(g, q, heads, rope);
      k = applyRope(g, k, heads, rope);
    }
    const o = multiHeadAttention(g, q, k, v, heads, { scale: 1 / Math.sqrt(dim / heads) });
    return linear(g, o, 'o', dim, dim);
  });
}

/** x [1, S, dim] fp32 → same; `index` names the block. */
export function ditBlock(
  g: GraphBuilder,
  index: number,
  x: Tensor,
  inputs: BlockInputs,
  size: BlockSize,
): Tensor {
  const { dim, ffn, eps, historyDim } = size;
  const f32 = (t: Tensor) => cast(g, t, 'float32');
  return g.scope('blocks', () =>
    g.scope(index, () => {
      const table = g.param('modulation', [1, 6, dim], { kind: 'normal', std: 1 / Math.sqrt(dim) });
      const mods = add(g, f32(table), inputs.e0); // [1, 6, dim]
      const [shift, scale, gate, cShift, cScale, cGate] = [0, 1, 2, 3, 4, 5].map((j) =>
        slice(g, mods, 1, j, j + 1),
      ) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]; // each [1, 1, dim]

      const selfIn = modulate(g, x, dim, eps, shift, scale);
      x = add(g, x, mul32(g, wanAttention(g, 'self_attn', selfIn, selfIn, size, inputs.rope), gate));

      const textIn = affineLayerNorm(g, x, dim, eps, 'norm3');
      x = add(g, x, f32(wanAttention(g, 'cross_attn', textIn, inputs.context, size)));

      const historyTokens = mlp(g, 'history_proj', inputs.history, [historyDim, historyDim, dim], 'none');
      const historyIn = affineLayerNorm(g, x, dim, eps, 'norm_history');
      x = add(g, x, f32(wanAttention(g, 'history_cross_attn', historyIn, historyTokens, size)));

      const hidden = mlp(g, 'ffn', modulate(g, x, dim, eps, cShift, cScale), [dim, ffn, dim], 'tanh');
      return add(g, x, mul32(g, hidden, cGate));
    }),
  );
}

/** The gated residual term cast(y, fp32) · gate. */
function mul32(g: GraphBuilder, y: Tensor, gate: Tensor): Tensor {
  return mul(g, cast(g, y, 'float32'), gate);
}
