import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { cast, div, linear, mul, reduceSum, relu, scaleShift, splitLast, tanh } from '../../onnx/ops';

/**
 * The release's FiLM from language (`film_layer`, OFFICIAL.md §4): `mlp` = Linear(textDim → dim), ReLU,
 * Linear(dim → 2·dim); γ = tanh(first half), β = second half, each averaged over the valid text tokens. The same
 * (γ, β) modulates every layer of its former: x·(1 + γ) + β.
 * text [1, T, textDim], textMask int64 [1, T] (1 = valid) → γ, β [1, 1, dim] in the graph's float type.
 */
export function filmParameters(
  g: GraphBuilder,
  text: Tensor,
  textMask: Tensor,
  textDim: number,
  dim: number,
): { gamma: Tensor; beta: Tensor } {
  return g.scope('film_layer', () => {
    const out = g.scope('mlp', () =>
      linear(g, relu(g, linear(g, text, '0', textDim, dim)), '2', dim, 2 * dim),
    );
    const [gammaRaw, beta] = splitLast(g, out, 2) as [Tensor, Tensor]; // [1, T, dim] each
    const mask = g.node('Unsqueeze', [cast(g, textMask, g.floatType), g.ints([2])], {
      shape: [...textMask.shape, 1],
    })[0]!; // [1, T, 1]
    // Mean over valid tokens; the count is clamped to 1 like the release, so an empty mask gives zeros.
    const count = g.node('Max', [reduceSum(g, mask, [1]), g.scalar(1)], { shape: [1, 1, 1] })[0]!;
    const mean = (t: Tensor) => div(g, reduceSum(g, mul(g, t, mask), [1]), count);
    return { gamma: mean(tanh(g, gammaRaw)), beta: mean(beta) };
  });
}

/** x·(1 + γ) + β */
export function filmModulate(g: GraphBuilder, x: Tensor, film: { gamma: Tensor; beta: Tensor }): Tensor {
  return scaleShift(g, x, film.gamma, film.beta);
}
