import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import type { NetworkDefinition } from '../../src/model/network';
import { buildDitStep, ditChunkOffsets, isDitHistoryParameter } from '../../src/model/networks/dit_step';
import { toFloat16Array } from '../../src/model/onnx/dtype';
import { GraphBuilder, type Tensor } from '../../src/model/onnx/graph';
import { multiHeadAttention } from '../../src/model/onnx/ops';
import { Rng } from '../../src/model/onnx/rng';
import type { ParameterValues } from '../../src/model/onnx/serialize';
import { modelBytes } from '../../src/model/onnx/serialize';
import { TINY } from '../../src/model/presets';
import { ditCase, ditValues, type Feeds, weightsByName } from './dit-fixtures';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import { ditStepReference, type DitReferenceOptions, type DitStepInputs } from './reference/dit';

process.env.XDG_RUNTIME_DIR ??= '/tmp';

/** fp32 ORT vs the double-accumulating reference: observed ≤ 7e-6 on velocities of magnitude ≈4. */
const TOLERANCE = 5e-5;

const def32 = buildDitStep(TINY, { floatType: 'float32' });
const SEED = 5;

async function runDit(values: ParameterValues, feeds: Feeds, ep: 'cpu' | 'webgpu' = 'cpu') {
  const out = await runModel(modelBytes(def32.graph, values), feeds, ep);
  return { velocity: out.velocity!.data, xNext: out.x_next!.data };
}

function reference(values: ParameterValues, inputs: DitStepInputs, options?: DitReferenceOptions) {
  return ditStepReference(TINY, weightsByName(def32, values).W, inputs, options);
}

function peak(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe('dit_step (tiny preset, ORT CPU vs plain-TS reference)', () => {
  it('matches the reference with conditional text only (text batch 1)', async () => {
    const values = ditValues(SEED, { liveHistory: true });
    const c = ditCase(TINY, { seed: 1, textBatch: 1 });
    const ort32 = await runDit(values, c.feeds);
    const ref = reference(values, c.reference);
    const dv = maxAbsDiff(ort32.velocity, ref.velocity);
    const dx = maxAbsDiff(ort32.xNext, ref.xNext);
    console.log(
      `      batch 1: max|v| ${peak(ref.velocity).toFixed(3)}, max abs diff velocity ${dv.toExponential(2)}, x_next ${dx.toExponential(2)}`,
    );
    assert.ok(peak(ref.velocity) > 0.1, 'velocity is not trivially small');
    assert.ok(dv < TOLERANCE && dx < TOLERANCE, `diff velocity ${dv}, x_next ${dx} ≥ ${TOLERANCE}`);
  });

  it('matches the reference with classifier-free guidance (text batch 2 = [cond, uncond])', async () => {
    const values = ditValues(SEED, { liveHistory: true });
    const c = ditCase(TINY, { seed: 2, textBatch: 2, guidance: 4 });
    const ort32 = await runDit(values, c.feeds);
    const ref = reference(values, c.reference);
    const dv = maxAbsDiff(ort32.velocity, ref.velocity);
    const dx = maxAbsDiff(ort32.xNext, ref.xNext);
    console.log(`      batch 2: max abs diff velocity ${dv.toExponential(2)}, x_next ${dx.toExponential(2)}`);
    assert.ok(dv < TOLERANCE && dx < TOLERANCE, `diff velocity ${dv}, x_next ${dx} ≥ ${TOLERANCE}`);
    // Guidance really mixes two different predictions.
    const condOnly = reference(values, { ...c.reference, text: [c.reference.text[0]!] });
    console.log(`      effect of guidance ${maxAbsDiff(condOnly.velocity, ref.velocity).toExponential(2)}`);
    assert.ok(maxAbsDiff(condOnly.velocity, ref.velocity) > 100 * TOLERANCE);
  });

  it('makes guidance a no-op with text batch 1', async () => {
    const values = ditValues(SEED);
    const a = await runDit(values, ditCase(TINY, { seed: 3, textBatch: 1, guidance: 1 }).feeds);
    const b = await runDit(values, ditCase(TINY, { seed: 3, textBatch: 1, guidance: 7.5 }).feeds);
    assert.equal(maxAbsDiff(a.velocity, b.velocity), 0);
  });

  it('ignores the history tokens while attn3.to_out.0 is zero, and uses them once it is not', async () => {
    const c1 = ditCase(TINY, { seed: 4, textBatch: 2 });
    const c2 = ditCase(TINY, { seed: 40, textBatch: 2 });
    const otherHistory = { ...c1.feeds, history: c2.feeds.history };
    const fresh = ditValues(SEED);
    const a = await runDit(fresh, c1.feeds);
    const b = await runDit(fresh, otherHistory);
    assert.equal(maxAbsDiff(a.velocity, b.velocity), 0);
    const trained = ditValues(SEED, { liveHistory: true });
    const d = maxAbsDiff(
      (await runDit(trained, c1.feeds)).velocity,
      (await runDit(trained, otherHistory)).velocity,
    );
    console.log(`      effect of history ${d.toExponential(2)}`);
    assert.ok(d > 100 * TOLERANCE, `history changed v by only ${d}`);
  });

  it('places chunks on the RoPE frame axis at chunk_offsets', async () => {
    const values = ditValues(SEED);
    const contiguous = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const sparse = ditCase(TINY, { seed: 6, textBatch: 1 });
    const dense = ditCase(TINY, { seed: 6, textBatch: 1, chunkOffsets: contiguous });
    assert.deepEqual(sparse.feeds.chunk_offsets!.data, ditChunkOffsets(TINY));
    const vSparse = (await runDit(values, sparse.feeds)).velocity;
    const vDense = (await runDit(values, dense.feeds)).velocity;
    console.log(`      effect of offsets ${maxAbsDiff(vSparse, vDense).toExponential(2)}`);
    assert.ok(maxAbsDiff(vSparse, vDense) > 100 * TOLERANCE, 'offsets do not change the output');
    assert.ok(maxAbsDiff(vDense, reference(values, dense.reference).velocity) < TOLERANCE);
  });

  it('embeds the clean current chunk at timestep 0 and the future chunks at σ·1000', async () => {
    const values = ditValues(SEED);
    const c = ditCase(TINY, { seed: 7, textBatch: 1, sigma: 0.75 });
    const v = (await runDit(values, c.feeds)).velocity;
    assert.ok(maxAbsDiff(v, reference(values, c.reference).velocity) < TOLERANCE);
    const noisyCurrent = reference(values, c.reference, { currentTimestep: 750 }).velocity;
    console.log(`      effect of current t ${maxAbsDiff(v, noisyCurrent).toExponential(2)}`);
    assert.ok(maxAbsDiff(v, noisyCurrent) > 100 * TOLERANCE, 'the current chunk timestep does not matter');
  });

  it('reads every parameter the graph declares, and marks exactly the history ones as new', () => {
    const values = ditValues(SEED);
    const { W, unused } = weightsByName(def32, values);
    ditStepReference(TINY, W, ditCase(TINY, { seed: 8, textBatch: 1 }).reference);
    assert.deepEqual(unused(), []);
    const fresh = def32.graph.parameters.filter((p) => def32.isNewParameter!(p.name)).map((p) => p.name);
    assert.ok(fresh.every((n) => /^(history_embedder|blocks\.\d+\.(attn3|norm3))\./.test(n)));
    // history_embedder: 2 linears; per block attn3: 4 linears + norm_q/norm_k weights, norm3: weight + bias.
    assert.equal(fresh.length, 4 + TINY.dit.layers * (8 + 2 + 2));
    assert.equal(isDitHistoryParameter('blocks.0.attn2.to_q.weight'), false);
    assert.equal(isDitHistoryParameter('blocks.12.norm3.weight'), true);
  });

  it('declares the step interface with a dynamic text batch', () => {
    const io = (ts: NetworkDefinition['graph']['inputs']) =>
      ts.map((t) => `${t.name}:${t.dtype}[${t.shape.join(',')}]`);
    assert.deepEqual(io(def32.graph.inputs), [
      'x:float32[1,16,8,8,14]',
      'sigma:float32[1]',
      'sigma_next:float32[1]',
      'current:float32[1,16,1,8,14]',
      'text:float32[text_batch,16,32]',
      'guidance:float32[1]',
      'history:float32[1,16,32]',
      'chunk_offsets:int64[9]',
    ]);
    assert.deepEqual(io(def32.graph.outputs), [
      'x_next:float32[1,16,8,8,14]',
      'velocity:float32[1,16,8,8,14]',
    ]);
  });

  it('refuses architectures it cannot express, naming the numbers', () => {
    assert.throws(
      () => buildDitStep({ ...TINY, dit: { ...TINY.dit, heads: 3 } }, { floatType: 'float32' }),
      /dim 64 .* 3 heads/,
    );
    assert.throws(
      () => buildDitStep({ ...TINY, dit: { ...TINY.dit, patch: [2, 2, 2] } }, { floatType: 'float32' }),
      /temporal patch 2/,
    );
  });

  it('runs the float16 graph on CPU within a loose tolerance of float32', async () => {
    const def16 = buildDitStep(TINY, { floatType: 'float16' });
    const values = ditValues(SEED, { liveHistory: true });
    const c = ditCase(TINY, { seed: 9, textBatch: 2 });
    const v32 = (await runDit(values, c.feeds)).velocity;
    const session = await ort.InferenceSession.create(modelBytes(def16.graph, values), {
      executionProviders: ['cpu'],
    });
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(c.feeds)) {
        const half = def16.graph.inputs.find((t) => t.name === name)!.dtype === 'float16';
        feeds[name] =
          f.data instanceof BigInt64Array
            ? new ort.Tensor('int64', f.data, f.dims)
            : new ort.Tensor(half ? 'float16' : 'float32', half ? toFloat16Array(f.data) : f.data, f.dims);
      }
      const v16 = (await session.run(feeds)).velocity!.data as Float32Array;
      const d = maxAbsDiff(v16, v32);
      console.log(`      fp16 vs fp32: max abs diff ${d.toExponential(2)} (max|v| ${peak(v32).toFixed(3)})`);
      assert.ok(d < 0.01 * peak(v32), `fp16 differs by ${d}`); // fp16 activations: ≈0.2 % observed
    } finally {
      await session.release();
    }
  });

  it('runs on WebGPU like on CPU (unfused attention)', async function () {
    if (!(await webgpuAvailable())) this.skip(); // no Vulkan/WebGPU adapter on this machine
    this.timeout(180_000);
    // onnxruntime-node 1.30's fused WebGPU MultiHeadAttention is wrong on Mesa lavapipe for ≥ 32 queries (a
    // flash-attention kernel), so the graph is built with the MatMul/Softmax attention the builder offers for it.
    const unfused = buildDitStep(TINY, { floatType: 'float32', attention: 'unfused' });
    const values = ditValues(SEED, { liveHistory: true });
    const c = ditCase(TINY, { seed: 10, textBatch: 2 });
    const out = await runModel(modelBytes(unfused.graph, values), c.feeds, 'webgpu');
    const ref = reference(values, c.reference);
    const d = maxAbsDiff(out.velocity!.data, ref.velocity);
    const fusedError = await webgpuAttentionError();
    console.log(
      `      WebGPU (unfused) vs reference: max abs diff ${d.toExponential(2)}; fused MultiHeadAttention alone on this adapter: ${fusedError.toExponential(2)}`,
    );
    assert.ok(d < 1e-4, `WebGPU differs from the reference by ${d}`);
  });
});

/** Max abs difference of one MultiHeadAttention (query length 64, head dim 16) between WebGPU and CPU. */
async function webgpuAttentionError(): Promise<number> {
  const g = new GraphBuilder('mha_probe', { floatType: 'float32' });
  const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, 'float32', [1, 64, 16])) as [
    Tensor,
    Tensor,
    Tensor,
  ];
  g.output(multiHeadAttention(g, q, k, v, 1), 'out');
  const rng = new Rng(1);
  const feeds = Object.fromEntries(
    ['q', 'k', 'v'].map((n) => [
      n,
      { data: rng.fillNormal(new Float32Array(64 * 16), 1), dims: [1, 64, 16] },
    ]),
  );
  const bytes = modelBytes(g, () => new Float32Array());
  const [cpu, gpu] = [await runModel(bytes, feeds, 'cpu'), await runModel(bytes, feeds, 'webgpu')];
  return maxAbsDiff(cpu.out!.data, gpu.out!.data);
}
