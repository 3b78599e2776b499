import type { FormerSize } from '../../presets';
import { type GraphBuilder, normal, type Tensor } from '../../onnx/graph';
import { add, assertShape, layerNorm, unsqueeze } from '../../onnx/ops';
import { attention } from './attention';
import { feedForward } from '../ffn';

/** LayerNorm epsilon of the action head's former and DiT (not released; Wan's value). The release's formers use 1e-5. */
export const FORMER_EPS = 1e-6;

/**
 * One layer of the action head's Action Video-Former (paper design; the action head is not released), pre-LN:
 *   x += SelfAttn(norm1(x));  x += CrossAttn(norm2(x), context);  x += FFN(norm3(x)).
 * x: [1, Q, hidden] queries, context: [1, L, hidden] → [1, Q, hidden].
 */
export function formerLayer(g: GraphBuilder, x: Tensor, context: Tensor, size: FormerSize): Tensor {
  const { hidden, heads, ffn } = size;
  let h = add(
    g,
    x,
    attention(g, 'attn1', layerNorm(g, x, hidden, { eps: FORMER_EPS, affine: 'norm1' }), hidden, heads),
  );
  h = crossAttend(g, h, context, size);
  return add(
    g,
    h,
    feedForward(g, layerNorm(g, h, hidden, { eps: FORMER_EPS, affine: 'norm3' }), hidden, ffn),
  );
}

/** h + attn2(norm2(h), context): the cross-attention residual the action formers and action DiT blocks share. */
export function crossAttend(
  g: GraphBuilder,
  h: Tensor,
  context: Tensor,
  size: Pick<FormerSize, 'hidden' | 'heads'>,
): Tensor {
  const { hidden, heads } = size;
  const normed = layerNorm(g, h, hidden, { eps: FORMER_EPS, affine: 'norm2' });
  return add(g, h, attention(g, 'attn2', normed, hidden, heads, context));
}

/**
 * A former under scope `name`: `size.queries` learned queries attend to `context` through `size.layers` layers.
 * The context is normalised once (`norm_context`), the output once more (`norm_out`). Whatever the length of the
 * context, the output is [1, queries, hidden].
 */
export function former(g: GraphBuilder, name: string, context: Tensor, size: FormerSize): Tensor {
  const { hidden, queries, layers } = size;
  return g.scope(name, () => {
    const ctx = layerNorm(g, context, hidden, { eps: FORMER_EPS, affine: 'norm_context' });
    let x = unsqueeze(g, g.param('queries', [queries, hidden], normal(0.02)), [0]); // [1, Q, hidden]
    g.scope('layers', () => {
      for (let i = 0; i < layers; i++) x = g.scope(i, () => formerLayer(g, x, ctx, size));
    });
    const out = layerNorm(g, x, hidden, { eps: FORMER_EPS, affine: 'norm_out' });
    assertShape(out, [1, queries, hidden], `${name} output`);
    return out;
  });
}
