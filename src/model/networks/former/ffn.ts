import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { gelu, linear } from '../../onnx/ops';

/** Linear → GELU(tanh) → Linear, named as Diffusers' FeedForward (`ffn.net.0.proj`, `ffn.net.2`): the action head. */
export function feedForward(g: GraphBuilder, x: Tensor, dim: number, hidden: number, name = 'ffn'): Tensor {
  return g.scope(name, () =>
    g.scope('net', () => {
      const h = g.scope('0', () => gelu(g, linear(g, x, 'proj', dim, hidden), 'tanh'));
      return linear(g, h, '2', hidden, dim);
    }),
  );
}

/** The release formers' feed-forward `name.0`, `name.2`: Linear(dim → dim·mult), GELU (erf), Linear, no biases. */
export function formerFeedForward(
  g: GraphBuilder,
  x: Tensor,
  dim: number,
  mult: number,
  name: string,
): Tensor {
  const hidden = dim * mult;
  return g.scope(name, () => {
    const h = gelu(g, linear(g, x, '0', dim, hidden, { bias: false }), 'none');
    return linear(g, h, '2', hidden, dim, { bias: false });
  });
}
