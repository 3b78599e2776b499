import type { DType } from './dtype';
import { type Dim, type GraphBuilder, type Shape, ShapeError, type Tensor } from './graph';

/**
 * Typed ONNX operators with shape inference. Only operators that run on both the CPU and the WebGPU execution
 * providers of onnxruntime 1.30 are used (see ENVIRONMENT.md): attention is com.microsoft.MultiHeadAttention.
 */

export function assertShape(t: Tensor, expected: Shape, where = t.name): void {
  const ok = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (!ok)
    throw new ShapeError(where, `expected shape [${expected.join(', ')}], got [${t.shape.join(', ')}]`);
}

export function broadcastShapes(a: Shape, b: Shape, where: string): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new ShapeError(where, `cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
  }
  return out;
}

function binary(op: string, g: GraphBuilder, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, `${g.scopeName}/${op}`);
  return g.node(op, [a, b], { shape, dtype: a.dtype })[0]!;
}

export const add = (g: GraphBuilder, a: Tensor, b: Tensor) => binary('Add', g, a, b);
export const sub = (g: GraphBuilder, a: Tensor, b: Tensor) => binary('Sub', g, a, b);
export const mul = (g: GraphBuilder, a: Tensor, b: Tensor) => binary('Mul', g, a, b);
export const div = (g: GraphBuilder, a: Tensor, b: Tensor) => binary('Div', g, a, b);
export const pow = (g: GraphBuilder, a: Tensor, b: Tensor) => binary('Pow', g, a, b);

function unary(
  op: string,
  g: GraphBuilder,
  x: Tensor,
  attributes: Record<string, number | string> = {},
): Tensor {
  return g.node(op, [x], { shape: x.shape, dtype: x.dtype }, attributes)[0]!;
}

export const sigmoid = (g: GraphBuilder, x: Tensor) => unary('Sigmoid', g, x);
export const tanh = (g: GraphBuilder, x: Tensor) => unary('Tanh', g, x);
export const sin = (g: GraphBuilder, x: Tensor) => unary('Sin', g, x);
export const cos = (g: GraphBuilder, x: Tensor) => unary('Cos', g, x);
export const exp = (g: GraphBuilder, x: Tensor) => unary('Exp', g, x);
export const sqrt = (g: GraphBuilder, x: Tensor) => unary('Sqrt', g, x);
export const neg = (g: GraphBuilder, x: Tensor) => unary('Neg', g, x);
export const relu = (g: GraphBuilder, x: Tensor) => unary('Relu', g, x);
export const identity = (g: GraphBuilder, x: Tensor) => unary('Identity', g, x);
export const softmax = (g: GraphBuilder, x: Tensor, axis = -1) => unary('Softmax', g, x, { axis });
export const isNaN = (g: GraphBuilder, x: Tensor) =>
  g.node('IsNaN', [x], { shape: x.shape, dtype: 'bool' })[0]!;

/** x·sigmoid(x) */
export function silu(g: GraphBuilder, x: Tensor): Tensor {
  return mul(g, x, sigmoid(g, x));
}

/** GELU; `tanh` is the approximation Wan's FFN and text embedder use. */
export function gelu(g: GraphBuilder, x: Tensor, approximate: 'none' | 'tanh' = 'tanh'): Tensor {
  return unary('Gelu', g, x, { approximate });
}

export function cast(g: GraphBuilder, x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  const code = { float32: 1, float16: 10, int64: 7, int32: 6, bool: 9 }[to];
  return g.node('Cast', [x], { shape: x.shape, dtype: to }, { to: code })[0]!;
}

export function matmul(g: GraphBuilder, a: Tensor, b: Tensor): Tensor {
  const where = `${g.scopeName}/MatMul`;
  if (a.shape.length < 2 || b.shape.length < 2)
    throw new ShapeError(where, 'MatMul operands must be at least 2-D');
  const [m, k] = a.shape.slice(-2) as [Dim, Dim];
  const [k2, n] = b.shape.slice(-2) as [Dim, Dim];
  if (k !== k2)
    throw new ShapeError(where, `inner dims differ: [${a.shape.join(', ')}] × [${b.shape.join(', ')}]`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), where);
  g.addMacs([...batch, m, k, n]);
  return g.node('MatMul', [a, b], { shape: [...batch, m, n], dtype: a.dtype })[0]!;
}

/** A PyTorch-style Linear: parameters `weight` [out, in] (stored transposed) and `bias` [out]. */
export function linear(
  g: GraphBuilder,
  x: Tensor,
  name: string,
  inFeatures: number,
  outFeatures: number,
  options: { bias?: boolean; std?: number; zeroInit?: boolean } = {},
): Tensor {
  const last = x.shape[x.shape.length - 1];
  if (last !== inFeatures) {
    throw new ShapeError(`${g.scopeName}.${name}`, `input features ${String(last)} ≠ ${inFeatures}`);
  }
  return g.scope(name, () => {
    const init = options.zeroInit
      ? { kind: 'constant' as const, value: 0 }
      : { kind: 'normal' as const, std: options.std ?? 0.02 };
    const w = g.param('weight', [outFeatures, inFeatures], init, 'transpose2d');
    let y = matmul(g, x, w);
    if (options.bias !== false) {
      const b = g.param('bias', [outFeatures], { kind: 'constant', value: 0 });
      y = add(g, y, b);
    }
    return y;
  });
}

/** Reshape to `shape` (0 copies the input dim, -1 is inferred); the static output shape is computed here. */
export function reshape(g: GraphBuilder, x: Tensor, shape: readonly Dim[]): Tensor {
  const where = `${g.scopeName}/Reshape`;
  const resolved: Dim[] = shape.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const target = resolved.map((d) => (typeof d === 'number' ? d : 0));
  // Symbolic dims can only be carried through by position (0 in the target); check that is what was meant.
  resolved.forEach((d, i) => {
    if (typeof d === 'string' && x.shape[i] !== d) {
      throw new ShapeError(
        where,
        `dynamic dim "${d}" must stay at position ${i} (input [${x.shape.join(', ')}])`,
      );
    }
  });
  const inferred = resolved.indexOf(-1);
  if (inferred >= 0) {
    const known = x.shape.every((d) => typeof d === 'number');
    if (known) {
      const total = (x.shape as number[]).reduce((a, b) => a * b, 1);
      const rest = resolved.reduce<number>(
        (a, d, i) => (i === inferred ? a : a * (typeof d === 'number' ? d : 1)),
        1,
      );
      resolved[inferred] = total / rest;
      if (!Number.isInteger(resolved[inferred])) {
        throw new ShapeError(where, `cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
      }
    } else {
      resolved[inferred] = `${x.name}_d${inferred}`;
    }
  } else if (x.shape.every((d) => typeof d === 'number') && resolved.every((d) => typeof d === 'number')) {
    const a = (x.shape as number[]).reduce((p, q) => p * q, 1);
    const b = (resolved as number[]).reduce((p, q) => p * q, 1);
    if (a !== b)
      throw new ShapeError(where, `cannot reshape [${x.shape.join(', ')}] to [${resolved.join(', ')}]`);
  }
  return g.node('Reshape', [x, g.ints(target)], { shape: resolved, dtype: x.dtype })[0]!;
}

export function transpose(g: GraphBuilder, x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.shape.length) {
    throw new ShapeError(
      `${g.scopeName}/Transpose`,
      `perm of ${perm.length} axes for a ${x.shape.length}-D tensor`,
    );
  }
  return g.node(
    'Transpose',
    [x],
    { shape: perm.map((p) => x.shape[p]!), dtype: x.dtype },
    { perm: [...perm] },
  )[0]!;
}

export function concat(g: GraphBuilder, xs: readonly Tensor[], axis: number): Tensor {
  const rank = xs[0]!.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const shape: Dim[] = [...xs[0]!.shape];
  let total: Dim = 0;
  for (const x of xs) {
    x.shape.forEach((d, i) => {
      if (i !== ax && d !== shape[i]) {
        throw new ShapeError(
          `${g.scopeName}/Concat`,
          `shapes differ off axis ${ax}: [${xs.map((t) => t.shape.join(',')).join('] [')}]`,
        );
      }
    });
    const d = x.shape[ax]!;
    total = typeof total === 'number' && typeof d === 'number' ? total + d : `${x.name}_cat${ax}`;
  }
  shape[ax] = total;
  return g.node('Concat', [...xs], { shape, dtype: xs[0]!.dtype }, { axis: ax })[0]!;
}

/** Static slice along one axis: [start, end). Negative bounds count from the end (static dims only). */
export function slice(g: GraphBuilder, x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const d = x.shape[ax]!;
  let len: Dim;
  if (typeof d === 'number') {
    const s = start < 0 ? d + start : Math.min(start, d);
    const e = end < 0 ? d + end : Math.min(end, d);
    len = Math.max(0, e - s);
  } else {
    if (start < 0 || end < 0 || end >= 2 ** 62) len = `${x.name}_slice${ax}`;
    else len = end - start;
  }
  const shape = x.shape.map((v, i) => (i === ax ? len : v));
  return g.node('Slice', [x, g.ints([start]), g.ints([end]), g.ints([ax])], { shape, dtype: x.dtype })[0]!;
}

/** Splits the last axis into equal parts. */
export function splitLast(g: GraphBuilder, x: Tensor, parts: number): Tensor[] {
  const d = x.shape[x.shape.length - 1];
  if (typeof d !== 'number' || d % parts !== 0) {
    throw new ShapeError(`${g.scopeName}/Split`, `last dim ${String(d)} not divisible into ${parts}`);
  }
  const piece = x.shape.slice(0, -1).concat([d / parts]);
  const outs = g.node(
    'Split',
    [x, g.ints(new Array(parts).fill(d / parts))],
    { shape: piece, dtype: x.dtype, extra: new Array(parts - 1).fill({ shape: piece, dtype: x.dtype }) },
    { axis: -1 },
  );
  return outs;
}

export function gather(g: GraphBuilder, x: Tensor, indices: Tensor, axis = 0): Tensor {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  return g.node('Gather', [x, indices], { shape, dtype: x.dtype }, { axis: ax })[0]!;
}

export function unsqueeze(g: GraphBuilder, x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.shape.length + axes.length;
  const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  const shape: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]!);
  return g.node('Unsqueeze', [x, g.ints(norm)], { shape, dtype: x.dtype })[0]!;
}

export function squeeze(g: GraphBuilder, x: Tensor, axes: readonly number[]): Tensor {
  const norm = axes.map((a) => (a < 0 ? a + x.shape.length : a));
  for (const a of norm) {
    if (x.shape[a] !== 1)
      throw new ShapeError(`${g.scopeName}/Squeeze`, `axis ${a} of [${x.shape.join(', ')}] is not 1`);
  }
  const shape = x.shape.filter((_, i) => !norm.includes(i));
  return g.node('Squeeze', [x, g.ints(norm)], { shape, dtype: x.dtype })[0]!;
}

export function expand(g: GraphBuilder, x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes(x.shape, shape, `${g.scopeName}/Expand`);
  return g.node('Expand', [x, g.ints(shape)], { shape: out, dtype: x.dtype })[0]!;
}

export function reduceMean(g: GraphBuilder, x: Tensor, axes: readonly number[], keepdims = true): Tensor {
  const norm = axes.map((a) => (a < 0 ? a + x.shape.length : a));
  const shape = keepdims
    ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !norm.includes(i));
  return g.node(
    'ReduceMean',
    [x, g.ints(norm)],
    { shape, dtype: x.dtype },
    { keepdims: keepdims ? 1 : 0 },
  )[0]!;
}

export function reduceSum(g: GraphBuilder, x: Tensor, axes: readonly number[], keepdims = true): Tensor {
  const norm = axes.map((a) => (a < 0 ? a + x.shape.length : a));
  const shape = keepdims
    ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !norm.includes(i));
  return g.node(
    'ReduceSum',
    [x, g.ints(norm)],
    { shape, dtype: x.dtype },
    { keepdims: keepdims ? 1 : 0 },
  )[0]!;
}

export function where(g: GraphBuilder, cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(cond.shape, broadcastShapes(a.shape, b.shape, 'Where'), 'Where');
  return g.node('Where', [cond, a, b], { shape, dtype: a.dtype })[0]!;
}

/**
 * LayerNormalization over the last axis. Without `affine` the scale is a constant 1 and there is no bias (Wan's
 * modulated norms); with it, learned `weight` and `bias` parameters named as in PyTorch.
 */
export function layerNorm(
  g: GraphBuilder,
  x: Tensor,
  dim: number,
  options: { eps: number; affine?: string },
): Tensor {
  assertLast(g, x, dim, 'LayerNorm');
  let scale: Tensor;
  let bias: Tensor | undefined;
  if (options.affine !== undefined) {
    [scale, bias] = g.scope(options.affine, () => [
      g.param('weight', [dim], { kind: 'constant', value: 1 }),
      g.param('bias', [dim], { kind: 'constant', value: 0 }),
    ]);
  } else {
    scale = g.constant(new Float32Array(dim).fill(1), [dim], g.floatType, 'ln_ones');
  }
  g.addMacs([...x.shape], 4);
  return g.node(
    'LayerNormalization',
    [x, scale, bias],
    { shape: x.shape, dtype: x.dtype },
    { axis: -1, epsilon: { float: options.eps } },
  )[0]!;
}

/** RMSNorm over the last axis with a learned `weight` (opset 23 RMSNormalization). */
export function rmsNorm(
  g: GraphBuilder,
  x: Tensor,
  dim: number,
  options: { eps: number; name: string },
): Tensor {
  assertLast(g, x, dim, 'RMSNorm');
  const w = g.scope(options.name, () => g.param('weight', [dim], { kind: 'constant', value: 1 }));
  g.addMacs([...x.shape], 3);
  return g.node(
    'RMSNormalization',
    [x, w],
    { shape: x.shape, dtype: x.dtype },
    { axis: -1, epsilon: { float: options.eps } },
  )[0]!;
}

/**
 * com.microsoft.MultiHeadAttention on packed [B, S, heads·headDim] query and [B, L, heads·headDim] key/value.
 * `scale` defaults to 1/√headDim.
 */
export function multiHeadAttention(
  g: GraphBuilder,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  heads: number,
  options: { scale?: number } = {},
): Tensor {
  const where = `${g.scopeName}/MultiHeadAttention`;
  const [b, s, d] = q.shape as [Dim, Dim, Dim];
  const [, l, dk] = k.shape as [Dim, Dim, Dim];
  if (q.shape.length !== 3 || k.shape.length !== 3 || v.shape.length !== 3) {
    throw new ShapeError(where, 'query/key/value must be [B, S, D]');
  }
  if (typeof d !== 'number' || d !== dk || d % heads !== 0) {
    throw new ShapeError(where, `hidden ${String(d)} / key ${String(dk)} not compatible with ${heads} heads`);
  }
  const headDim = d / heads;
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  if (g.attention === 'unfused') return unfusedAttention(g, q, k, v, heads, scale, undefined);
  g.addMacs([b, s, l, d], 2);
  const attrs: Record<string, number | { float: number }> = { num_heads: heads };
  attrs.scale = { float: scale };
  return g.node(
    'MultiHeadAttention',
    [q, k, v],
    { shape: [b, s, d], dtype: q.dtype },
    attrs,
    'com.microsoft',
  )[0]!;
}

function assertLast(g: GraphBuilder, x: Tensor, dim: number, op: string): void {
  const last = x.shape[x.shape.length - 1];
  if (last !== dim) throw new ShapeError(`${g.scopeName}/${op}`, `last dim ${String(last)} ≠ ${dim}`);
}

/**
 * com.microsoft.MultiHeadAttention with an additive `attention_bias` [1|B, heads, S, L] on the logits before the
 * softmax (T5's relative position bias with the padding mask folded in). Input order of the contrib op: query, key,
 * value, bias, key_padding_mask, attention_bias. `scale` defaults to 1/√headDim; T5 uses 1.
 */
export function multiHeadAttentionWithBias(
  g: GraphBuilder,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  heads: number,
  attentionBias: Tensor,
  options: { scale?: number } = {},
): Tensor {
  const where = `${g.scopeName}/MultiHeadAttention`;
  if (q.shape.length !== 3 || k.shape.length !== 3 || v.shape.length !== 3) {
    throw new ShapeError(where, 'query/key/value must be [B, S, D]');
  }
  const [b, s, d] = q.shape as [Dim, Dim, Dim];
  const [, l, dk] = k.shape as [Dim, Dim, Dim];
  if (typeof d !== 'number' || d !== dk || d % heads !== 0) {
    throw new ShapeError(where, `hidden ${String(d)} / key ${String(dk)} not compatible with ${heads} heads`);
  }
  const [bb, bh, bs, bl] = attentionBias.shape;
  const biasOk = attentionBias.shape.length === 4 && (bb === 1 || bb === b) && (bh === 1 || bh === heads);
  if (!biasOk || bs !== s || bl !== l) {
    const expected = `[1|${String(b)}, 1|${heads}, ${String(s)}, ${String(l)}]`;
    throw new ShapeError(
      where,
      `attention_bias must be ${expected}, got [${attentionBias.shape.join(', ')}]`,
    );
  }
  if (g.attention === 'unfused')
    return unfusedAttention(g, q, k, v, heads, options.scale ?? 1 / Math.sqrt(d / heads), attentionBias);
  g.addMacs([b, s, l, d], 2);
  const attrs = { num_heads: heads, scale: { float: options.scale ?? 1 / Math.sqrt(d / heads) } };
  return g.node(
    'MultiHeadAttention',
    [q, k, v, undefined, undefined, attentionBias],
    { shape: [b, s, d], dtype: q.dtype },
    attrs,
    'com.microsoft',
  )[0]!;
}

/**
 * softmax(q·kᵀ·scale + bias)·v per head, from MatMul/Softmax: the same function as MultiHeadAttention, for
 * execution providers whose fused kernel is wrong. Materialises [B, heads, S, L] scores.
 */
function unfusedAttention(
  g: GraphBuilder,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  heads: number,
  scale: number,
  bias: Tensor | undefined,
): Tensor {
  const d = q.shape[2] as number;
  const headDim = d / heads;
  const split = (t: Tensor) => transpose(g, reshape(g, t, [0, 0, heads, headDim]), [0, 2, 1, 3]); // [B, h, S, hd]
  const qh = split(q);
  const kt = transpose(g, reshape(g, k, [0, 0, heads, headDim]), [0, 2, 3, 1]); // [B, h, hd, L]
  let scores = mul(g, matmul(g, qh, kt), g.scalar(scale)); // [B, h, S, L]
  if (bias) scores = add(g, scores, cast(g, bias, scores.dtype));
  const probs = softmax(g, scores, -1);
  const o = matmul(g, probs, split(v)); // [B, h, S, hd]
  return reshape(g, transpose(g, o, [0, 2, 1, 3]), [0, 0, d]);
}

/**
 * x·(1 + scale) + shift in `scale`'s float type: the one modulation of adaLN (DiT, action DiT) and FiLM (formers).
 * The `1 +` keeps an all-zero modulation the identity, which is how these layers are initialised.
 */
export function scaleShift(g: GraphBuilder, x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  const one = g.constant(new Float32Array([1]), [], scale.dtype, 'one');
  return add(g, mul(g, x, add(g, scale, one)), shift);
}
