import type { GraphBuilder, Tensor } from '../../onnx/graph';
import { linear, multiHeadAttention } from '../../onnx/ops';

/**
 * Multi-head attention with Diffusers' parameter names (`to_q`, `to_k`, `to_v`, `to_out.0`, all with bias), used by
 * the action head (not released; paper design). Self-attention when `context` is omitted; cross-attention
 * otherwise. x: [B, S, dim], context: [B, L, dim] → [B, S, dim].
 */
export function attention(
  g: GraphBuilder,
  name: string,
  x: Tensor,
  dim: number,
  heads: number,
  context: Tensor = x,
): Tensor {
  return projectedAttention(g, name, DIFFUSERS_NAMES, x, dim, heads, context);
}

/**
 * The release formers' `Attention` (named as flamingo-mini's: `query`, `key`, `value`, `c_proj`, all with bias),
 * head dim = dim/heads, scale 1/√(dim/heads), no mask (masked keys are removed before the call).
 * x: [B, S, dim], context: [B, L, dim] (self-attention when omitted) → [B, S, dim].
 */
export function formerAttention(
  g: GraphBuilder,
  name: string,
  x: Tensor,
  dim: number,
  heads: number,
  context: Tensor = x,
): Tensor {
  return projectedAttention(g, name, FLAMINGO_NAMES, x, dim, heads, context);
}

/** Where the four projections of an attention live in a checkpoint; `out` may be nested (`to_out.0`). */
interface ProjectionNames {
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly out: readonly [string] | readonly [string, string];
}

const DIFFUSERS_NAMES: ProjectionNames = { q: 'to_q', k: 'to_k', v: 'to_v', out: ['to_out', '0'] };
const FLAMINGO_NAMES: ProjectionNames = { q: 'query', k: 'key', v: 'value', out: ['c_proj'] };

function projectedAttention(
  g: GraphBuilder,
  name: string,
  names: ProjectionNames,
  x: Tensor,
  dim: number,
  heads: number,
  context: Tensor,
): Tensor {
  return g.scope(name, () => {
    const q = linear(g, x, names.q, dim, dim);
    const k = linear(g, context, names.k, dim, dim);
    const v = linear(g, context, names.v, dim, dim);
    const o = multiHeadAttention(g, q, k, v, heads); // [B, S, dim]
    const [outer, inner] = names.out;
    return inner === undefined
      ? linear(g, o, outer, dim, dim)
      : g.scope(outer, () => linear(g, o, inner, dim, dim));
  });
}
