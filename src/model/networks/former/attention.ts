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
  return g.scope(name, () => {
    const q = linear(g, x, 'to_q', dim, dim);
    const k = linear(g, context, 'to_k', dim, dim);
    const v = linear(g, context, 'to_v', dim, dim);
    const o = multiHeadAttention(g, q, k, v, heads); // [B, S, dim]
    return g.scope('to_out', () => linear(g, o, '0', dim, dim));
  });
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
  return g.scope(name, () => {
    const q = linear(g, x, 'query', dim, dim);
    const k = linear(g, context, 'key', dim, dim);
    const v = linear(g, context, 'value', dim, dim);
    return linear(g, multiHeadAttention(g, q, k, v, heads), 'c_proj', dim, dim);
  });
}
