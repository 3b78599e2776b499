import type { Dim, GraphBuilder, Tensor } from '../../onnx/graph';
import { add, cast, concat, mul } from '../../onnx/ops';

/**
 * Helpers of the Wan DiT that the generic ops do not cover: fp32 layer norms inside an fp16 graph (Wan's
 * FP32LayerNorm) and broadcasting batch-1 tensors to the dynamic text batch of classifier-free guidance.
 */

/** LayerNorm over the last axis of an fp32 tensor, without affine parameters (Wan's modulated norms). */
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
 * Wan's affine cross-attention norm (`norm2`, and our `norm3`): LN in fp32, then the learned weight and bias in
 * the graph's float type. Returns a tensor in the graph's float type, ready for the attention's projections.
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
  return add(g, mul(g, cast(g, layerNorm32(g, x32, dim, eps), g.floatType), weight!), bias!);
}

/** The runtime batch size of `like` (its first dim) as an int64 [1] tensor. */
export function batchSize(g: GraphBuilder, like: Tensor): Tensor {
  return g.node('Shape', [like], { shape: [1], dtype: 'int64' }, { start: 0, end: 1 })[0]!;
}

/** Broadcasts a batch-1 tensor [1, …] to [batch, …]; `batchDim` is the symbolic dim the result carries. */
export function expandBatch(g: GraphBuilder, x: Tensor, batch: Tensor, batchDim: Dim): Tensor {
  if (x.shape[0] !== 1)
    throw new Error(`${g.scopeName}: expandBatch needs a batch-1 tensor, got [${x.shape.join(', ')}]`);
  const rest = x.shape.slice(1);
  if (rest.some((d) => typeof d !== 'number')) {
    throw new Error(`${g.scopeName}: expandBatch needs static trailing dims, got [${x.shape.join(', ')}]`);
  }
  const target = concat(g, [batch, g.ints(rest as number[])], 0);
  return g.node('Expand', [x, target], { shape: [batchDim, ...rest], dtype: x.dtype })[0]!;
}
