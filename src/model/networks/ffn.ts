import type { GraphBuilder, Tensor } from '../onnx/graph';
import { gelu, linear } from '../onnx/ops';

/**
 * Linear(in → hidden), GELU, Linear(hidden → out), its linears named `name.0` and `name.2` as `nn.Sequential`
 * numbers them (the GELU is `.1`): the DiT's `ffn` and `history_proj` (with biases) and the release formers'
 * feed-forwards (without).
 */
export function mlp(
  g: GraphBuilder,
  name: string,
  x: Tensor,
  widths: readonly [number, number, number],
  approximate: 'none' | 'tanh',
  options: { bias?: boolean } = {},
): Tensor {
  const [inDim, hidden, out] = widths;
  const bias = options.bias ?? true;
  return g.scope(name, () =>
    linear(g, gelu(g, linear(g, x, '0', inDim, hidden, { bias }), approximate), '2', hidden, out, { bias }),
  );
}

/** Linear → GELU(tanh) → Linear, named as Diffusers' FeedForward (`ffn.net.0.proj`, `ffn.net.2`): the action head. */
export function feedForward(g: GraphBuilder, x: Tensor, dim: number, hidden: number, name = 'ffn'): Tensor {
  return g.scope(name, () =>
    g.scope('net', () => {
      const h = g.scope('0', () => gelu(g, linear(g, x, 'proj', dim, hidden), 'tanh'));
      return linear(g, h, '2', hidden, dim);
    }),
  );
}
