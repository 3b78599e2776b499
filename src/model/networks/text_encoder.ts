import type { NetworkBuilder } from '../network';
import { GraphBuilder, normal, ones, type Tensor } from '../onnx/graph';
import {
  add,
  assertShape,
  cast,
  gather,
  gelu,
  linear,
  mul,
  multiHeadAttentionWithBias,
  reshape,
  transpose,
  unsqueeze,
  where,
} from '../onnx/ops';
import type { TextEncoderConfig } from '../presets';

/**
 * The umT5-XXL encoder in the release's layout (OFFICIAL.md §3, `modules/t5.py` `T5Encoder`), with its checkpoint
 * names (`models_t5_umt5-xxl-enc-bf16.pth`: `token_embedding.weight`, `blocks.i.{norm1, attn.{q,k,v,o},
 * norm2, ffn.{gate.0, fc1, fc2}, pos_embedding.embedding}.weight`, `norm.weight`), so that file maps 1:1.
 * Pre-norm blocks: RMS norm in fp32 (no mean, no bias), self-attention without 1/√d scaling plus each layer's own
 * relative position bias (shared_pos = False), FFN fc2(fc1(x) · gelu_tanh(gate(x))), a final RMS norm. The token
 * embedding is not scaled. Output rows where the mask is 0 are exactly zero; the pipeline keeps the first L rows.
 *
 * In an fp16 graph the residual stream and the norms stay fp32 (T5 activations outgrow fp16; the release clamps
 * them instead); the matrix products run in the graph's float type.
 */

/**
 * Logit offset for padded keys: the release fills them with the dtype's most negative value. In fp16 that is
 * −65504; any real logit minus it leaves exp() exactly 0.
 */
const MASKED_LOGIT = { float32: -3.4028234663852886e38, float16: -65504 } as const;

/**
 * T5's bidirectional relative-position bucket of `relativePosition` = key position − query position. Half the
 * buckets are for keys after the query; in each half the first half is exact distances, the rest logarithmic up to
 * `maxDistance` (farther shares the last bucket). The log is evaluated in float32 like PyTorch's.
 */
export function relativePositionBucket(
  relativePosition: number,
  numBuckets: number,
  maxDistance: number,
): number {
  const half = Math.floor(numBuckets / 2);
  const offset = relativePosition > 0 ? half : 0;
  const distance = Math.abs(relativePosition);
  const maxExact = Math.floor(half / 2);
  if (distance < maxExact) return offset + distance;
  const f = Math.fround;
  const ratio = f(f(Math.log(f(distance / maxExact))) / f(Math.log(maxDistance / maxExact)));
  const large = maxExact + Math.trunc(f(ratio * (half - maxExact)));
  return offset + Math.min(large, half - 1);
}

/** [S, S] bucket of every (query, key) pair; static for a fixed sequence length. */
export function relativeBucketIndices(
  length: number,
  numBuckets: number,
  maxDistance: number,
): BigInt64Array {
  const out = new BigInt64Array(length * length);
  for (let q = 0; q < length; q++) {
    for (let k = 0; k < length; k++) {
      out[q * length + k] = BigInt(relativePositionBucket(k - q, numBuckets, maxDistance));
    }
  }
  return out;
}

/** T5LayerNorm `name`: h / √(mean(h²) + eps) · weight on the fp32 stream `h`; the result is fp32 too. */
function t5LayerNorm(g: GraphBuilder, h: Tensor, dim: number, eps: number, name: string): Tensor {
  const weight = g.scope(name, () => g.param('weight', [dim], ones));
  g.addMacs([...h.shape], 3);
  return g.node(
    'RMSNormalization',
    [h, cast(g, weight, 'float32')],
    { shape: h.shape, dtype: 'float32' },
    { axis: -1, epsilon: { float: eps } },
  )[0]!;
}

/** `attn` of one block: unscaled attention with this layer's relative position bias plus the key mask. */
function selfAttention(
  g: GraphBuilder,
  t: TextEncoderConfig,
  x: Tensor,
  buckets: Tensor,
  keyMask: Tensor,
): Tensor {
  const s = t.textLen;
  const bias = g.scope('pos_embedding', () => {
    const table = g.scope('embedding', () =>
      g.param('weight', [t.numBuckets, t.heads], normal((2 * t.numBuckets * t.heads) ** -0.5)),
    );
    const perPair = gather(g, table, buckets); // [S, S, heads]
    return unsqueeze(g, transpose(g, perPair, [2, 0, 1]), [0]); // [1, heads, S, S]
  });
  return g.scope('attn', () => {
    // The release's initialisation folds attention's missing 1/√d into q's std.
    const q = linear(g, x, 'q', t.dim, t.dimAttn, { bias: false, std: (t.dim * t.dimAttn) ** -0.5 });
    const k = linear(g, x, 'k', t.dim, t.dimAttn, { bias: false, std: t.dim ** -0.5 });
    const v = linear(g, x, 'v', t.dim, t.dimAttn, { bias: false, std: t.dim ** -0.5 });
    const withMask = add(g, bias, keyMask); // [1, heads, S, S]
    assertShape(withMask, [1, t.heads, s, s]);
    const a = multiHeadAttentionWithBias(g, q, k, v, t.heads, withMask, { scale: 1 }); // [1, S, dimAttn]
    return linear(g, a, 'o', t.dimAttn, t.dim, { bias: false, std: (t.heads * t.dimAttn) ** -0.5 });
  });
}

/** `ffn`: fc2(fc1(x) · gelu_tanh(gate.0(x))). */
function feedForward(g: GraphBuilder, t: TextEncoderConfig, x: Tensor): Tensor {
  return g.scope('ffn', () => {
    const gate = g.scope('gate', () =>
      linear(g, x, '0', t.dim, t.dimFfn, { bias: false, std: t.dim ** -0.5 }),
    );
    const up = linear(g, x, 'fc1', t.dim, t.dimFfn, { bias: false, std: t.dim ** -0.5 });
    return linear(g, mul(g, up, gelu(g, gate, 'tanh')), 'fc2', t.dimFfn, t.dim, {
      bias: false,
      std: t.dimFfn ** -0.5,
    });
  });
}

/** One block `blocks.i`; `h` is the fp32 residual stream [1, S, dim]. */
function block(g: GraphBuilder, t: TextEncoderConfig, h: Tensor, buckets: Tensor, keyMask: Tensor): Tensor {
  const x1 = cast(g, t5LayerNorm(g, h, t.dim, t.eps, 'norm1'), g.floatType);
  const attended = add(g, h, cast(g, selfAttention(g, t, x1, buckets, keyMask), 'float32'));
  const x2 = cast(g, t5LayerNorm(g, attended, t.dim, t.eps, 'norm2'), g.floatType);
  return add(g, attended, cast(g, feedForward(g, t, x2), 'float32'));
}

export const buildTextEncoder: NetworkBuilder = (preset, { floatType, attention }) => {
  const t = preset.text;
  const s = t.textLen;
  if (t.dimAttn % t.heads !== 0)
    throw new Error(`text encoder: dimAttn ${t.dimAttn} not divisible by ${t.heads} heads`);
  const g = new GraphBuilder('text_encoder', { floatType, attention });
  const inputIds = g.input('input_ids', 'int64', [1, s]);
  const attentionMask = g.input('attention_mask', 'int64', [1, s]);

  const isToken = cast(g, attentionMask, 'bool'); // [1, S]
  const masked = g.scalar(MASKED_LOGIT[floatType === 'float16' ? 'float16' : 'float32']);
  const keyMask = where(g, reshape(g, isToken, [1, 1, 1, s]), g.scalar(0), masked); // [1, 1, 1, S]
  const buckets = g.constant(
    relativeBucketIndices(s, t.numBuckets, t.maxDistance),
    [s, s],
    'int64',
    'relative_buckets',
  );

  const table = g.param('token_embedding.weight', [t.vocab, t.dim], normal(1));
  let h = cast(g, gather(g, table, inputIds), 'float32'); // [1, S, dim]
  g.scope('blocks', () => {
    for (let i = 0; i < t.layers; i++) h = g.scope(i, () => block(g, t, h, buckets, keyMask));
  });
  h = t5LayerNorm(g, h, t.dim, t.eps, 'norm');
  assertShape(h, [1, s, t.dim]);
  // Where (not a multiply) so that padding is exactly zero whatever the padded rows computed.
  const padded = where(g, reshape(g, isToken, [1, s, 1]), cast(g, h, floatType), g.scalar(0)); // [1, S, dim]
  g.output(padded, 'text_embeddings');

  return {
    key: 'text_encoder',
    graph: g,
    description:
      `umT5 encoder (${t.layers} layers, dim ${t.dim}, ${t.heads} heads, attention ${t.dimAttn}, FFN ${t.dimFfn}, ` +
      `vocab ${t.vocab}) → text_embeddings [1, ${s}, ${t.dim}], padding rows zero`,
    metadata: { text_len: s },
  };
};
