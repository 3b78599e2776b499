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
import type { ModelPreset } from '../presets';

/**
 * Wan's text encoder: the umT5-XXL encoder (SYSTEM.md §2.4), with Hugging Face `UMT5EncoderModel` parameter names
 * so that its checkpoint maps 1:1. Pre-norm T5 blocks: RMS norm (no mean, no bias), self-attention without
 * 1/√d scaling plus a learned relative position bias in every layer (umT5, unlike T5, has one per layer), and a
 * gated-GELU FFN wo(gelu_tanh(wi_0 x) · wi_1 x). Output positions where the mask is 0 are exactly zero, the way Wan
 * pads its context after the real tokens.
 *
 * In an fp16 graph the residual stream and the norms stay fp32 (T5 activations are known to outgrow fp16); the
 * matrix products run in the graph's float type.
 */

type TextConfig = ModelPreset['text'];

/** Logit offset for padded keys: exp() of it is exactly 0 in fp32, and it stays finite in fp16 (max 65504). */
const MASKED_LOGIT = -30000;

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
  const scale = cast(g, weight, 'float32');
  return g.node(
    'RMSNormalization',
    [h, scale],
    { shape: h.shape, dtype: 'float32' },
    { axis: -1, epsilon: { float: eps } },
  )[0]!;
}

/** One umT5 block; `h` is the fp32 residual stream [1, S, D]. */
function umt5Block(g: GraphBuilder, t: TextConfig, h: Tensor, buckets: Tensor, keyMask: Tensor): Tensor {
  const inner = t.heads * t.headDim;
  const s = t.maxTokens;
  return g.scope('layer', () => {
    const attended = g.scope(0, () => {
      const x = cast(g, t5LayerNorm(g, h, t.dModel, t.eps, 'layer_norm'), g.floatType);
      const out = g.scope('SelfAttention', () => {
        // HF's T5 initialisation folds the 1/√d of attention into q's std (there is no scaling in the graph).
        const q = linear(g, x, 'q', t.dModel, inner, { bias: false, std: (t.dModel * t.headDim) ** -0.5 });
        const k = linear(g, x, 'k', t.dModel, inner, { bias: false, std: t.dModel ** -0.5 });
        const v = linear(g, x, 'v', t.dModel, inner, { bias: false, std: t.dModel ** -0.5 });
        const table = g.scope('relative_attention_bias', () =>
          g.param('weight', [t.relBuckets, t.heads], normal(t.dModel ** -0.5)),
        );
        const perPair = gather(g, table, buckets); // [S, S, heads]
        const positionBias = unsqueeze(g, transpose(g, perPair, [2, 0, 1]), [0]); // [1, heads, S, S]
        const bias = add(g, positionBias, keyMask); // [1, heads, S, S]
        assertShape(bias, [1, t.heads, s, s]);
        const a = multiHeadAttentionWithBias(g, q, k, v, t.heads, bias, { scale: 1 }); // [1, S, inner]
        return linear(g, a, 'o', inner, t.dModel, { bias: false, std: inner ** -0.5 });
      });
      return add(g, h, cast(g, out, 'float32'));
    });
    return g.scope(1, () => {
      const x = cast(g, t5LayerNorm(g, attended, t.dModel, t.eps, 'layer_norm'), g.floatType);
      const out = g.scope('DenseReluDense', () => {
        const wi0 = linear(g, x, 'wi_0', t.dModel, t.ffn, { bias: false, std: t.dModel ** -0.5 });
        const gate = gelu(g, wi0, 'tanh'); // HF's gelu_new
        const up = linear(g, x, 'wi_1', t.dModel, t.ffn, { bias: false, std: t.dModel ** -0.5 });
        return linear(g, mul(g, gate, up), 'wo', t.ffn, t.dModel, { bias: false, std: t.ffn ** -0.5 }); // [1, S, D]
      });
      return add(g, attended, cast(g, out, 'float32'));
    });
  });
}

export const buildTextEncoder: NetworkBuilder = (preset, { floatType, attention }) => {
  const t = preset.text;
  const s = t.maxTokens;
  const g = new GraphBuilder('text_encoder', { floatType, attention });
  const inputIds = g.input('input_ids', 'int64', [1, s]);
  const attentionMask = g.input('attention_mask', 'int64', [1, s]);

  const isToken = cast(g, attentionMask, 'bool'); // [1, S]
  const keyMask = where(g, reshape(g, isToken, [1, 1, 1, s]), g.scalar(0), g.scalar(MASKED_LOGIT)); // [1, 1, 1, S]
  const buckets = g.constant(
    relativeBucketIndices(s, t.relBuckets, t.relMaxDistance),
    [s, s],
    'int64',
    'relative_buckets',
  );

  // HF initialises the shared embedding with std 1 (factor 1.0); umT5 does not scale it.
  const table = g.param('shared.weight', [t.vocab, t.dModel], normal(1));
  let h = cast(g, gather(g, table, inputIds), 'float32'); // [1, S, D]
  h = g.scope('encoder', () => {
    let x = h;
    g.scope('block', () => {
      for (let i = 0; i < t.layers; i++) x = g.scope(i, () => umt5Block(g, t, x, buckets, keyMask));
    });
    return t5LayerNorm(g, x, t.dModel, t.eps, 'final_layer_norm');
  });
  assertShape(h, [1, s, t.dModel]);
  // Where (not a multiply) so that padding is exactly zero whatever the padded rows computed.
  const padded = where(g, reshape(g, isToken, [1, s, 1]), cast(g, h, floatType), g.scalar(0)); // [1, S, D]
  g.output(padded, 'text_embeddings');

  return {
    key: 'text_encoder',
    graph: g,
    description:
      `umT5 encoder (${t.layers} layers, d_model ${t.dModel}, ${t.heads} heads × ${t.headDim}, FFN ${t.ffn}, ` +
      `vocab ${t.vocab}) → text_embeddings [1, ${s}, ${t.dModel}], padding rows zero`,
    metadata: {
      max_tokens: s,
      // Hugging Face checkpoints may also store the tied copy of the embedding under this name.
      tied_parameters: { 'encoder.embed_tokens.weight': 'shared.weight' },
    },
  };
};
