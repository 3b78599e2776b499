import { type DType, isFloat } from './dtype';

/** A dimension: a number when static, a name (ONNX dim_param) when dynamic. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** A value in the graph under construction. Shapes are tracked so that blocks can assert them at build time. */
export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export type Init =
  | { kind: 'normal'; std: number; mean?: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'constant'; value: number }
  /** A fixed table computed in code (e.g. a sinusoid buffer the checkpoint stores), produced on demand. */
  | { kind: 'table'; values: () => Float32Array };

export const zeros: Init = { kind: 'constant', value: 0 };
export const ones: Init = { kind: 'constant', value: 1 };
export const normal = (std: number, mean = 0): Init => ({ kind: 'normal', std, mean });

/**
 * A learned tensor. `name` and `shape` are the checkpoint's (Diffusers names, PyTorch layouts); `layout` says how
 * checkpoint data becomes the ONNX initializer, so loading real weights is a 1:1 mapping with a shape check.
 */
export interface Parameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
  /** `transpose2d`: a PyTorch Linear weight [out, in] stored as [in, out] for MatMul. */
  readonly layout: 'as_is' | 'transpose2d';
  readonly tensor: Tensor;
}

export type ConstantData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface Constant {
  readonly tensor: Tensor;
  readonly data: ConstantData;
}

export type AttributeValue = number | string | number[] | Float32Array | { float: number } | GraphBody;

/** A subgraph body for control-flow nodes is not needed by our networks; kept out deliberately. */
export type GraphBody = never;

export interface NodeRecord {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** Shape comment carried into the ONNX file as the node's doc_string. */
  readonly doc: string;
}

export interface GraphOptions {
  /** Element type of activations and float parameters: fp32, or fp16 for GPU deployment. */
  floatType: DType;
  /**
   * How attention is expressed: `fused` = com.microsoft.MultiHeadAttention (flash kernels, the default), `unfused`
   * = MatMul/Softmax/MatMul. onnxruntime 1.30's WebGPU flash path returns wrong values for ≥ 32 queries on some
   * drivers (Mesa lavapipe here); `unfused` is exact everywhere but materialises the score matrix.
   */
  attention?: 'fused' | 'unfused';
  /** Values of dynamic dims used for FLOP accounting (e.g. `{ history_chunks: 45 }`); others count as 1. */
  nominalDims?: Record<string, number>;
}

export class ShapeError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'ShapeError';
  }
}

/**
 * Collects inputs, nodes, parameters and constants of one network. It holds no weight data: parameters carry an
 * initialisation rule, and data is produced (or loaded) only when the model is written, one tensor at a time, so
 * paper-size networks can be described, counted and written without holding gigabytes in memory.
 */
export class GraphBuilder {
  readonly floatType: DType;
  readonly attention: 'fused' | 'unfused';
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  readonly nodes: NodeRecord[] = [];
  readonly parameters: Parameter[] = [];
  readonly constants: Constant[] = [];
  readonly #nominal: Record<string, number>;
  readonly #names = new Set<string>();
  readonly #scopes: string[] = [];
  readonly #macsByScope = new Map<string, number>();
  #macs = 0;
  #counter = 0;

  constructor(
    readonly name: string,
    options: GraphOptions,
  ) {
    if (!isFloat(options.floatType))
      throw new Error(`floatType must be float32 or float16, got ${options.floatType}`);
    this.floatType = options.floatType;
    this.attention = options.attention ?? 'fused';
    this.#nominal = options.nominalDims ?? {};
  }

  /** Runs `fn` with parameter and node names prefixed by `name.` (checkpoint-style dotted names). */
  scope<T>(name: string | number, fn: () => T): T {
    this.#scopes.push(String(name));
    try {
      return fn();
    } finally {
      this.#scopes.pop();
    }
  }

  get scopeName(): string {
    return this.#scopes.join('.');
  }

  input(name: string, dtype: DType, shape: Shape): Tensor {
    const t = this.#claim(name, dtype, shape);
    this.inputs.push(t);
    return t;
  }

  /** Marks `t` as a graph output named `name` (an Identity node renames it when needed). */
  output(t: Tensor, name: string): Tensor {
    const out =
      t.name === name ? t : this.node('Identity', [t], { shape: t.shape, dtype: t.dtype, name })[0]!;
    this.outputs.push(out);
    return out;
  }

  param(
    localName: string,
    shape: readonly number[],
    init: Init,
    layout: Parameter['layout'] = 'as_is',
  ): Tensor {
    const name = this.#scoped(localName);
    if (shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ShapeError(name, `parameter shape must be positive integers, got [${shape.join(', ')}]`);
    }
    const onnxShape = layout === 'transpose2d' ? [shape[1]!, shape[0]!] : [...shape];
    if (layout === 'transpose2d' && shape.length !== 2)
      throw new ShapeError(name, 'transpose2d needs a 2-D parameter');
    const tensor = this.#claim(name, this.floatType, onnxShape);
    this.parameters.push({ name, shape: [...shape], init, layout, tensor });
    return tensor;
  }

  constant(data: ConstantData, shape: Shape, dtype?: DType, hint = 'const'): Tensor {
    const dt: DType =
      dtype ??
      (data instanceof BigInt64Array
        ? 'int64'
        : data instanceof Int32Array
          ? 'int32'
          : data instanceof Uint8Array
            ? 'bool'
            : this.floatType);
    const tensor = this.#claim(this.#fresh(hint), dt, shape);
    this.constants.push({ tensor, data });
    return tensor;
  }

  /** A float scalar (shape []) in the graph's float type. */
  scalar(value: number): Tensor {
    return this.constant(new Float32Array([value]), [], this.floatType, 'scalar');
  }

  /** An int64 1-D constant, e.g. a Reshape target or Slice bounds. */
  ints(values: readonly number[]): Tensor {
    return this.constant(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], 'int64', 'ints');
  }

  /**
   * Adds one node. `out` gives the output's shape and dtype (computed by the op helper), optionally its name and
   * further outputs. Returns the output tensors.
   */
  node(
    opType: string,
    inputs: readonly (Tensor | undefined)[],
    out: { shape: Shape; dtype?: DType; name?: string; extra?: { shape: Shape; dtype?: DType }[] },
    attributes: Record<string, AttributeValue> = {},
    domain = '',
  ): Tensor[] {
    // Omitted optional inputs at the end are dropped: onnxruntime crashes on some ops given a trailing ''.
    let used = inputs.length;
    while (used > 0 && inputs[used - 1] === undefined) used--;
    inputs = inputs.slice(0, used);
    const nodeName = this.#fresh(opType);
    const first = this.#claim(
      out.name ?? `${nodeName}_out`,
      out.dtype ?? inputs[0]?.dtype ?? this.floatType,
      out.shape,
    );
    const outs = [
      first,
      ...(out.extra ?? []).map((e, i) =>
        this.#claim(`${nodeName}_out${i + 1}`, e.dtype ?? first.dtype, e.shape),
      ),
    ];
    this.nodes.push({
      name: nodeName,
      opType,
      domain,
      inputs: inputs.map((t) => t?.name ?? ''),
      outputs: outs.map((t) => t.name),
      attributes,
      doc: outs.map((t) => `${t.name}: [${t.shape.join(', ')}]`).join('; '),
    });
    return outs;
  }

  /** Records multiply-accumulates of an op whose cost depends on dims (dynamic dims use their nominal value). */
  addMacs(dims: readonly Dim[], factor = 1): void {
    let macs = factor;
    for (const d of dims) macs *= this.dimValue(d);
    this.#macs += macs;
    const top = this.#scopes[0] ?? '(root)';
    this.#macsByScope.set(top, (this.#macsByScope.get(top) ?? 0) + macs);
  }

  dimValue(d: Dim): number {
    if (typeof d === 'number') return d;
    // Dynamic dims without a nominal value (derived dims, batch) count once.
    return this.#nominal[d] ?? 1;
  }

  get macs(): number {
    return this.#macs;
  }

  get parameterCount(): number {
    return this.parameters.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Parameter counts grouped by the first `depth` components of their names. */
  parameterCountsBy(depth = 1): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.parameters) {
      const key = p.name.split('.').slice(0, depth).join('.');
      out[key] = (out[key] ?? 0) + p.shape.reduce((a, b) => a * b, 1);
    }
    return out;
  }

  #scoped(local: string): string {
    return this.#scopes.length ? `${this.#scopes.join('.')}.${local}` : local;
  }

  #fresh(hint: string): string {
    const base = this.#scopes.length ? `${this.#scopes.join('.')}/${hint}` : hint;
    return `${base}_${this.#counter++}`;
  }

  #claim(name: string, dtype: DType, shape: Shape): Tensor {
    if (this.#names.has(name)) throw new ShapeError(this.name, `tensor name "${name}" is used twice`);
    this.#names.add(name);
    return { name, dtype, shape: [...shape] };
  }
}
