import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkDefinition } from '../../src/model/network';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../src/model/onnx/dtype';
import { GraphBuilder, ShapeError } from '../../src/model/onnx/graph';
import * as op from '../../src/model/onnx/ops';
import { Rng } from '../../src/model/onnx/rng';
import { modelBytes, writeModel } from '../../src/model/onnx/serialize';
import { checkpointWeights, WeightMismatchError } from '../../src/model/weights/resolve';
import { SafetensorsFile, writeSafetensors } from '../../src/model/weights/safetensors';
import { seededValues } from '../../src/model/weights/seeded';
import { maxAbsDiff, runModel } from './ort';

/** y = LayerNorm(x·Wᵀ + b) over 6 features: small enough to check against arithmetic written out here. */
function tinyNet(floatType: 'float32' | 'float16' = 'float32') {
  const g = new GraphBuilder('tiny', { floatType });
  const x = g.input('x', floatType, ['batch', 4]);
  const y = g.scope('head', () =>
    op.layerNorm(g, op.linear(g, x, 'proj', 4, 6), 6, { eps: 1e-6, affine: 'norm' }),
  );
  g.output(y, 'y');
  return g;
}

function referenceTinyNet(g: GraphBuilder, seed: number, x: Float32Array, batch: number): Float32Array {
  const w = seededValues(
    g.parameters.find((p) => p.name === 'head.proj.weight')!,
    seed,
  );
  const b = seededValues(
    g.parameters.find((p) => p.name === 'head.proj.bias')!,
    seed,
  );
  const out = new Float32Array(batch * 6);
  for (let n = 0; n < batch; n++) {
    const h = new Float64Array(6);
    for (let o = 0; o < 6; o++) {
      let s = b[o]!;
      for (let i = 0; i < 4; i++) s += w[o * 4 + i]! * x[n * 4 + i]!;
      h[o] = s;
    }
    const mean = h.reduce((a, v) => a + v, 0) / 6;
    const variance = h.reduce((a, v) => a + (v - mean) ** 2, 0) / 6;
    for (let o = 0; o < 6; o++) out[n * 6 + o] = (h[o]! - mean) / Math.sqrt(variance + 1e-6);
  }
  return out;
}

describe('ONNX graph builder', () => {
  it('converts fp32 to fp16 bits with round-to-nearest-even, overflow to Inf and NaN kept', () => {
    assert.equal(float32ToFloat16Bits(1), 0x3c00);
    assert.equal(float32ToFloat16Bits(-2), 0xc000);
    assert.equal(float32ToFloat16Bits(65504), 0x7bff);
    assert.equal(float32ToFloat16Bits(70000), 0x7c00);
    assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001);
    assert.equal(float32ToFloat16Bits(1e-9), 0);
    assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // a tie rounds to even
    assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
    for (const v of [0.1, -3.25, 1234.5, 6.1e-5]) {
      assert.ok(Math.abs(float16BitsToFloat32(float32ToFloat16Bits(v)) - v) <= Math.abs(v) * 2 ** -11);
    }
  });

  it('draws each parameter from its own (seed, name) stream', () => {
    const a = new Rng(7, 1).fillNormal(new Float32Array(4), 1);
    const b = new Rng(7, 1).fillNormal(new Float32Array(4), 1);
    const c = new Rng(7, 2).fillNormal(new Float32Array(4), 1);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const many = new Rng(3).fillNormal(new Float32Array(20000), 2);
    const mean = many.reduce((s, v) => s + v, 0) / many.length;
    const std = Math.sqrt(many.reduce((s, v) => s + (v - mean) ** 2, 0) / many.length);
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(std - 2) < 0.05, `std ${std}`);
  });

  it('rejects mismatched shapes at build time, naming the scope', () => {
    const g = new GraphBuilder('bad', { floatType: 'float32' });
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.param('w', [4, 5], { kind: 'constant', value: 0 });
    assert.throws(
      () => g.scope('blk', () => op.matmul(g, x, w)),
      (e: Error) => e instanceof ShapeError && /blk\/MatMul: inner dims differ/.test(e.message),
    );
    assert.throws(() => op.reshape(g, x, [4, 2]), /cannot reshape \[2, 3\] to \[4, 2\]/);
    assert.throws(() => g.input('x', 'float32', [1]), /used twice/);
    assert.throws(() => op.linear(g, x, 'l', 4, 2), /input features 3 ≠ 4/);
  });

  it('counts parameters and multiply-accumulates of what it builds', () => {
    const g = tinyNet();
    assert.equal(g.parameterCount, 4 * 6 + 6 + 6 + 6);
    assert.deepEqual(g.parameterCountsBy(2), { 'head.proj': 30, 'head.norm': 12 });
    assert.ok(g.macs >= 24, `macs ${g.macs}`);
  });

  it('writes a model ONNX Runtime runs, equal to the arithmetic written out by hand', async () => {
    const g = tinyNet();
    const x = Float32Array.from({ length: 8 }, (_, i) => Math.cos(i) * 2);
    const out = await runModel(
      modelBytes(g, (p) => seededValues(p, 5)),
      { x: { data: x, dims: [2, 4] } },
    );
    assert.deepEqual(out.y!.dims, [2, 6]);
    const diff = maxAbsDiff(out.y!.data, referenceTinyNet(g, 5, x, 2));
    assert.ok(diff < 1e-5, `max abs diff ${diff}`);
  });

  it('writes external data beside the model (4 KiB aligned) with the same results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svnav-onnx-'));
    const g = tinyNet();
    const written = writeModel(g, join(dir, 'tiny.onnx'), (p) => seededValues(p, 5), { externalData: true });
    assert.ok(written.dataPath && statSync(written.dataPath).size >= 4096 + 6 * 4);
    assert.match(written.dataSha256!, /^[0-9a-f]{64}$/);
    const x = Float32Array.from({ length: 4 }, (_, i) => i - 1.5);
    const viaPath = await runModel(written.modelPath, { x: { data: x, dims: [1, 4] } });
    assert.ok(maxAbsDiff(viaPath.y!.data, referenceTinyNet(g, 5, x, 1)) < 1e-5);
  });

  it('builds fp16 graphs whose outputs agree with fp32 to fp16 precision', async () => {
    const x = Float32Array.from({ length: 4 }, (_, i) => i * 0.5 - 1);
    const g32 = tinyNet('float32');
    const g16 = tinyNet('float16');
    const ort = await import('onnxruntime-node');
    const s = await ort.InferenceSession.create(modelBytes(g16, (p) => seededValues(p, 9)));
    const xs = new ort.Tensor(
      'float16',
      Uint16Array.from(x, (v) => float32ToFloat16Bits(v)),
      [1, 4],
    );
    const y = (await s.run({ x: xs })).y!;
    await s.release();
    const y16 = Array.from(y.data as Uint16Array, float16BitsToFloat32);
    assert.ok(maxAbsDiff(y16, referenceTinyNet(g32, 9, x, 1)) < 1e-2);
  });

  it('round-trips safetensors and reports files that are not safetensors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svnav-st-'));
    const file = join(dir, 'w.safetensors');
    const data = Float32Array.from([1, -2, 3.5, 0.25, 8, 9]);
    writeSafetensors(file, { 'a.weight': { shape: [2, 3], data } }, { format: 'pt' });
    const st = SafetensorsFile.open(file);
    assert.deepEqual(st.entries.get('a.weight')!.shape, [2, 3]);
    assert.deepEqual(st.read('a.weight'), data);
    assert.equal(st.metadata.format, 'pt');
    assert.throws(() => st.read('b'), /no tensor named b/);
    st.close();
    const bad = join(dir, 'bad.safetensors');
    const bytes = readFileSync(file);
    bytes.writeBigUInt64LE(10n ** 9n, 0);
    writeFileSync(bad, bytes);
    assert.throws(() => SafetensorsFile.open(bad), /header length 1000000000 does not fit/);
  });

  it('loads checkpoint weights by name and lists missing, unexpected and mis-shaped tensors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svnav-ck-'));
    const g = tinyNet();
    const def: NetworkDefinition = {
      key: 'action_step',
      graph: g,
      description: 'test',
      isNewParameter: (n) => n.startsWith('head.norm'),
    };
    const tensors = Object.fromEntries(
      g.parameters
        .filter((p) => !p.name.startsWith('head.norm'))
        .map((p) => [p.name, { shape: p.shape, data: seededValues(p, 77) }]),
    );
    const good = join(dir, 'good.safetensors');
    writeSafetensors(good, tensors);
    const loaded = await checkpointWeights(def, [good], 0);
    assert.equal(loaded.provenance.kind, 'loaded');
    assert.deepEqual(loaded.provenance.kind === 'loaded' && loaded.provenance.seededParameters, [
      'head.norm.weight',
      'head.norm.bias',
    ]);
    const x = Float32Array.from([1, 2, 3, 4]);
    const out = await runModel(modelBytes(g, loaded.values), { x: { data: x, dims: [1, 4] } });
    loaded.close();
    const expected = referenceTinyNet(g, 77, x, 1);
    assert.ok(maxAbsDiff(out.y!.data, expected) < 1e-5);

    const bad = join(dir, 'bad.safetensors');
    const { ['head.proj.bias']: _dropped, ...rest } = tensors;
    writeSafetensors(bad, {
      ...rest,
      'head.proj.weight': { shape: [4, 6], data: new Float32Array(24) },
      stray: { shape: [1], data: new Float32Array(1) },
    });
    await assert.rejects(checkpointWeights(def, [bad], 0), (e: Error) => {
      assert.ok(e instanceof WeightMismatchError);
      assert.deepEqual(e.missing, ['head.proj.bias']);
      assert.deepEqual(e.unexpected, ['stray']);
      assert.deepEqual(e.misshaped, [{ name: 'head.proj.weight', expected: [6, 4], actual: [4, 6] }]);
      assert.match(e.message, /missing 1: head\.proj\.bias/);
      return true;
    });
  });
});

describe('attention kernels', () => {
  function attentionNet(attention: 'fused' | 'unfused', withBias: boolean) {
    const g = new GraphBuilder('attn', { floatType: 'float32', attention });
    const q = g.input('q', 'float32', ['batch', 40, 16]);
    const kv = g.input('kv', 'float32', ['batch', 24, 16]);
    const o = withBias
      ? op.multiHeadAttentionWithBias(g, q, kv, kv, 2, g.input('bias', 'float32', [1, 2, 40, 24]), {
          scale: 0.5,
        })
      : op.multiHeadAttention(g, q, kv, kv, 2);
    g.output(o, 'o');
    return modelBytes(g, () => new Float32Array());
  }
  const feeds = () => ({
    q: {
      data: Float32Array.from({ length: 2 * 40 * 16 }, (_, i) => Math.sin(i * 0.7) * 2),
      dims: [2, 40, 16],
    },
    kv: {
      data: Float32Array.from({ length: 2 * 24 * 16 }, (_, i) => Math.cos(i * 0.3) * 2),
      dims: [2, 24, 16],
    },
    bias: { data: Float32Array.from({ length: 2 * 40 * 24 }, (_, i) => (i % 7) - 3), dims: [1, 2, 40, 24] },
  });

  for (const withBias of [false, true]) {
    it(`computes the same function fused and unfused${withBias ? ' with an attention bias' : ''}`, async () => {
      const f = feeds();
      const fused = await runModel(attentionNet('fused', withBias), withBias ? f : { q: f.q, kv: f.kv });
      const unfused = await runModel(attentionNet('unfused', withBias), withBias ? f : { q: f.q, kv: f.kv });
      const diff = maxAbsDiff(fused.o!.data, unfused.o!.data);
      assert.ok(diff < 1e-5, `max abs diff ${diff}`);
    });
  }
});
