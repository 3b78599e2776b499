import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { add, cast, mul, scaleShift } from '../../onnx/ops';

/**
 * Norms of the Wan DiT that the generic ops do not cover: Wan computes every LayerNorm, the modulation and the gated
 * residual in fp32 even when the projections run in half precision, so these take and give fp32 tensors.
 */

/** LayerNorm over the last axis of an fp32 tensor, without affine parameters (Wan's `norm1`, `norm2`, head norm). */
export function layerNorm32(g: GraphBuilder, x: Tensor, dim: number, eps: number): Tensor {
  if (x.dtype !== 'float32')
    throw new Error(`${g.scopeName}: layerNorm32 needs a float32 input, got ${x.dtype}`);
  const ones = g.constant(new Float32Array(dim).fill(1), [dim], 'float32', 'ln32_ones');
  g.addMacs([...x.shape], 4);
  return g.node(
    'LayerNormalization',
    [x, ones],
    { shape: x.shape, dtype: 'float32' },
    { axis: -1, epsilon: { float: eps } },
  )[0]!;
}

/**
 * Wan's affine LayerNorm (`norm3` before the text cross-attention, `norm_history` before the history one): LN with
 * the learned weight and bias applied in fp32, returned in the graph's float type for the attention's projections.
 */
export function affineLayerNorm(
  g: GraphBuilder,
  x32: Tensor,
  dim: number,
  eps: number,
  name: string,
): Tensor {
  const [weight, bias] = g.scope(name, () => [
    g.param('weight', [dim], { kind: 'constant', value: 1 }),
    g.param('bias', [dim], { kind: 'constant', value: 0 }),
  ]);
  const normed = mul(g, layerNorm32(g, x32, dim, eps), cast(g, weight!, 'float32'));
  return cast(g, add(g, normed, cast(g, bias!, 'float32')), g.floatType);
}

/** LN(x)·(1 + scale) + shift in fp32 (adaLN), returned in the graph's float type. */
export function modulate(
  g: GraphBuilder,
  x32: Tensor,
  dim: number,
  eps: number,
  shift: Tensor,
  scale: Tensor,
): Tensor {
  return cast(g, scaleShift(g, layerNorm32(g, x32, dim, eps), scale, shift), g.floatType);
}
