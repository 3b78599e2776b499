import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { gelu, linear } from '../../onnx/ops';

/** Linear → GELU(tanh) → Linear, named as Diffusers' FeedForward (`ffn.net.0.proj`, `ffn.net.2`), as in Wan. */
export function feedForward(g: GraphBuilder, x: Tensor, dim: number, hidden: number, name = 'ffn'): Tensor {
  return g.scope(name, () =>
    g.scope('net', () => {
      const h = g.scope('0', () => gelu(g, linear(g, x, 'proj', dim, hidden), 'tanh'));
      return linear(g, h, '2', hidden, dim);
    }),
  );
}
