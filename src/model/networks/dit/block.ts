import type { Dim, GraphBuilder, Tensor } from '../../onnx/graph';
import {
  add,
  cast,
  gelu,
  linear,
  mul,
  multiHeadAttention,
  reshape,
  rmsNorm,
  splitLast,
} from '../../onnx/ops';
import { affineLayerNorm, expandBatch, layerNorm32 } from './common';
import { applyRope, type RopeTable } from './rope';

/**
 * One Wan2.1 transformer block plus SparseVideoNav's history cross-attention (paper Sec. III-D, CDiT-style):
 *   x += gate · SelfAttn(LN(x)(1+scale)+shift)           attn1, 3-D RoPE
 *   x += CrossAttn_text(norm2(x))                          attn2
 *   x += CrossAttn_history(norm3(x))                       attn3, output projection zero-initialised
 *   x += c_gate · FFN(LN(x)(1+c_scale)+c_shift)
 * The residual stream and all modulation are fp32 (Wan computes them in fp32); projections and attention run in
 * the graph's float type. Diffusers' own `norm3` is the FFN's modulated norm without parameters, so naming the
 * history norm `norm3` clashes with no checkpoint tensor.
 */

export interface BlockSize {
  dim: number;
  heads: number;
  ffn: number;
  eps: number;
}

export interface BlockInputs {
  /** e0: per-chunk timestep modulation, fp32 [F, 1, 6·dim]. */
  e0: Tensor;
  rope: RopeTable;
  /** Embedded text tokens [B, L, dim], float type. */
  text: Tensor;
  /** Embedded history tokens [1, Lh, dim], float type, shared by every batch entry. */
  history: Tensor;
  /** Runtime batch size (int64 [1]) and its symbolic dim, for broadcasting the history keys/values. */
  batch: Tensor;
  batchDim: Dim;
}

interface AttentionOptions {
  rope?: RopeTable;
  /** Keys/values are computed at batch 1 and broadcast to the query batch (history: same for cond/uncond). */
  expandContext?: { batch: Tensor; batchDim: Dim };
  zeroOut?: boolean;
}

/**
 * Wan attention: q and k are RMS-normalised over the full width (`norm_q`, `norm_k`) before the head split,
 * RoPE (self-attention only), MultiHeadAttention with scale 1/√headDim, `to_out.0`. x [B, S, dim] → [B, S, dim].
 */
export function wanAttention(
  g: GraphBuilder,
  name: string,
  x: Tensor,
  context: Tensor,
  size: BlockSize,
  options: AttentionOptions = {},
): Tensor {
  const { dim, heads, eps } = size;
  return g.scope(name, () => {
    let q = rmsNorm(g, linear(g, x, 'to_q', dim, dim), dim, { eps, name: 'norm_q' });
    let k = rmsNorm(g, linear(g, context, 'to_k', dim, dim), dim, { eps, name: 'norm_k' });
    let v = linear(g, context, 'to_v', dim, dim);
    if (options.rope) {
      q = applyRope(g, q, heads, options.rope);
      k = applyRope(g, k, heads, options.rope);
    }
    if (options.expandContext) {
      const { batch, batchDim } = options.expandContext;
      k = expandBatch(g, k, batch, batchDim);
      v = expandBatch(g, v, batch, batchDim);
    }
    const o = multiHeadAttention(g, q, k, v, heads, { scale: 1 / Math.sqrt(dim / heads) });
    return g.scope('to_out', () => linear(g, o, '0', dim, dim, { zeroInit: options.zeroOut === true }));
  });
}

/** x [B, F, P, dim] fp32 → same; `index` names the block (`blocks.N.*`). */
export function ditBlock(
  g: GraphBuilder,
  index: number,
  x: Tensor,
  inputs: BlockInputs,
  size: BlockSize,
): Tensor {
  const { dim, ffn, eps } = size;
  const [, f, p] = x.shape as [Dim, number, number];
  const seq = f * p;
  const toSequence = (t: Tensor) => reshape(g, t, [0, seq, dim]); // [B, F·P, dim]
  const toChunks = (t: Tensor) => cast(g, reshape(g, t, [0, f, p, dim]), 'float32'); // [B, F, P, dim] fp32
  const one = g.constant(new Float32Array([1]), [], 'float32', 'one');
  const modulate = (t: Tensor, shift: Tensor, scale: Tensor) =>
    cast(g, add(g, mul(g, layerNorm32(g, t, dim, eps), add(g, scale, one)), shift), g.floatType);

  return g.scope('blocks', () =>
    g.scope(index, () => {
      const table = g.param('scale_shift_table', [1, 6, dim], { kind: 'normal', std: 1 / Math.sqrt(dim) });
      const mods = add(g, reshape(g, cast(g, table, 'float32'), [1, 1, 6 * dim]), inputs.e0); // [F, 1, 6·dim]
      const [shift, scale, gate, cShift, cScale, cGate] = splitLast(g, mods, 6) as [
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
      ];

      const selfIn = toSequence(modulate(x, shift, scale));
      const selfOut = wanAttention(g, 'attn1', selfIn, selfIn, size, { rope: inputs.rope });
      x = add(g, x, mul(g, toChunks(selfOut), gate));

      const textIn = toSequence(affineLayerNorm(g, x, dim, eps, 'norm2'));
      x = add(g, x, toChunks(wanAttention(g, 'attn2', textIn, inputs.text, size)));

      const historyIn = toSequence(affineLayerNorm(g, x, dim, eps, 'norm3'));
      const historyOut = wanAttention(g, 'attn3', historyIn, inputs.history, size, {
        expandContext: { batch: inputs.batch, batchDim: inputs.batchDim },
        zeroOut: true,
      });
      x = add(g, x, toChunks(historyOut));

      const ffnIn = modulate(x, cShift, cScale); // [B, F, P, dim]
      const hidden = g.scope('ffn', () =>
        g.scope('net', () => {
          const h = g.scope('0', () => gelu(g, linear(g, ffnIn, 'proj', dim, ffn), 'tanh'));
          return linear(g, h, '2', ffn, dim);
        }),
      );
      return add(g, x, mul(g, cast(g, hidden, 'float32'), cGate));
    }),
  );
}
