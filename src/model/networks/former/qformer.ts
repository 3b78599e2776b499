import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { add, assertShape, cast, layerNorm, linear, reshape, unsqueeze } from '../../onnx/ops';
import type { QFormerConfig } from '../../presets';
import { formerAttention } from './attention';
import { mlp } from '../ffn';
import { filmModulate, filmParameters } from './film';

/** LayerNorm epsilon of the release's formers (PyTorch's nn.LayerNorm default). */
export const RELEASE_FORMER_EPS = 1e-5;

/**
 * Row p = [sin(p·ω_0), cos(p·ω_0), sin(p·ω_1), …], ω_i = 10000^(−2i/dim): the Q-Former's `internal_pos_embedding`
 * buffer (interleaved sin/cos, unlike Wan's cos-first timestep sinusoid). The checkpoint stores it; this is its
 * seeded value, equal to the stored one.
 */
export function framePositionTable(maxFrames: number, dim: number): Float32Array {
  if (dim % 2) throw new Error(`qformer: dim must be even for the frame sinusoid, got ${dim}`);
  const out = new Float32Array(maxFrames * dim);
  for (let p = 0; p < maxFrames; p++) {
    for (let i = 0; i < dim / 2; i++) {
      const angle = p * Math.exp(2 * i * (-Math.log(10000) / dim));
      out[p * dim + 2 * i] = Math.sin(angle);
      out[p * dim + 2 * i + 1] = Math.cos(angle);
    }
  }
  return out;
}

export interface QFormerInputs {
  /** History tokens [1, N, HW, dim] (N = "history_chunks"), oldest chunk first. */
  tokens: Tensor;
  /** int64 [1, N], 1 = valid chunk. */
  mask: Tensor;
  /** Language features [1, T, textDim] and their int64 mask [1, T]. */
  text: Tensor;
  textMask: Tensor;
  textDim: number;
}

/**
 * The release's `Q_Former_3D` under scope `qformer` (OFFICIAL.md §4.3): reversed-time frame embedding through
 * `pos_embed_proj` added to every token of a chunk, masked chunks dropped from the context, then `depth` post-norm
 * layers of cross-attention only (`layers.i.0`), LayerNorm (`layers.i.1`), FiLM, FFN (`layers.i.2`); final `norm`.
 * Output [1, numLatents, dim], whatever N.
 */
export function qFormer(g: GraphBuilder, inputs: QFormerInputs, cfg: QFormerConfig): Tensor {
  const { dim, depth, heads, numLatents, ffMult, maxFrames } = cfg;
  const hw = inputs.tokens.shape[2] as number;
  return g.scope('qformer', () => {
    const film = filmParameters(g, inputs.text, inputs.textMask, inputs.textDim, dim);
    const table = g.param('internal_pos_embedding', [maxFrames, dim], {
      kind: 'table',
      values: () => framePositionTable(maxFrames, dim),
    });
    const positions = reversedFrameRows(g, table, inputs.tokens); // [N, dim]
    const frameEmbedding = linear(g, positions, 'pos_embed_proj', dim, dim);
    const tokens = add(g, inputs.tokens, unsqueeze(g, frameEmbedding, [1])); // [1, N, HW, dim]
    const context = validChunkTokens(g, tokens, inputs.mask, hw, dim); // [1, M·HW, dim]

    const latents = g.param('latents', [numLatents, dim], { kind: 'normal', std: 1 });
    let x = unsqueeze(g, latents, [0]); // [1, Q, dim]
    g.scope('layers', () => {
      for (let i = 0; i < depth; i++) {
        x = g.scope(i, () => {
          const attended = add(g, x, formerAttention(g, '0', x, dim, heads, context));
          const normed = filmModulate(
            g,
            layerNorm(g, attended, dim, { eps: RELEASE_FORMER_EPS, affine: '1' }),
            film,
          );
          return add(g, normed, mlp(g, '2', normed, [dim, dim * ffMult, dim], 'none', { bias: false }));
        });
      }
    });
    const out = layerNorm(g, x, dim, { eps: RELEASE_FORMER_EPS, affine: 'norm' });
    assertShape(out, [1, numLatents, dim], 'qformer output');
    return out;
  });
}

/**
 * Rows N−1, N−2, …, 0 of the frame table [maxFrames, dim], N = the chunk axis of tokens [1, N, HW, dim]: the
 * newest chunk (last) takes row 0. Two Slices (the first N rows, then reversed), no index arithmetic.
 */
function reversedFrameRows(g: GraphBuilder, table: Tensor, tokens: Tensor): Tensor {
  const n = g.node('Shape', [tokens], { shape: [1], dtype: 'int64' }, { start: 1, end: 2 })[0]!;
  const dim = table.shape[1]!;
  const first = g.node('Slice', [table, g.ints([0]), n, g.ints([0])], { shape: [tokens.shape[1]!, dim] })[0]!;
  const ends = g.constant(BigInt64Array.from([-(2n ** 63n)]), [1], 'int64', 'int64_min');
  return g.node('Slice', [first, g.ints([-1]), ends, g.ints([0]), g.ints([-1])], { shape: first.shape })[0]!;
}

/**
 * Keeps the tokens of valid chunks only: [1, N, HW, dim] → [1, M·HW, dim] (chunk-major). Equivalent to the
 * release's zeroing plus key mask (a masked key gets no weight), without a mask input on the attention. With no
 * valid chunk the context is empty and the attention fails, as the release would produce NaN.
 */
function validChunkTokens(g: GraphBuilder, tokens: Tensor, mask: Tensor, hw: number, dim: number): Tensor {
  const keep = cast(g, reshape(g, mask, [-1]), 'bool'); // [N]
  const kept = g.node('Compress', [tokens, keep], { shape: [1, 'valid_chunks', hw, dim] }, { axis: 1 })[0]!;
  return g.node('Reshape', [kept, g.ints([1, -1, dim])], { shape: [1, 'history_tokens', dim] })[0]!;
}
