import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/model/onnx/graph';
import { modelBytes } from '../../src/model/onnx/serialize';

/** Test helper: run a model on one execution provider with fp32 feeds, returning fp32 outputs by name. */
export async function runModel(
  model: Uint8Array | string,
  feeds: Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>,
  ep: 'cpu' | 'webgpu' = 'cpu',
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, { executionProviders: [ep], logSeverityLevel: 3 })
      : await ort.InferenceSession.create(model, { executionProviders: [ep], logSeverityLevel: 3 });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      inputs[name] = new ort.Tensor(f.data instanceof BigInt64Array ? 'int64' : 'float32', f.data, f.dims);
    }
    const outs = await session.run(inputs);
    const result: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const [name, t] of Object.entries(outs))
      result[name] = { data: t.data as Float32Array, dims: t.dims };
    return result;
  } finally {
    await session.release();
  }
}

/** WebGPU runs on Mesa's lavapipe in CI; tests that need it are skipped (with a reason) where it cannot start. */
export async function webgpuAvailable(): Promise<boolean> {
  if (cached !== undefined) return cached;
  try {
    const g = new GraphBuilder('probe', { floatType: 'float32' });
    const x = g.input('x', 'float32', [1]);
    g.output(g.node('Relu', [x], { shape: [1] })[0]!, 'y');
    const s = await ort.InferenceSession.create(
      modelBytes(g, () => new Float32Array()),
      { executionProviders: ['webgpu'] },
    );
    await s.release();
    cached = true;
  } catch {
    cached = false;
  }
  return cached;
}
let cached: boolean | undefined;

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
