import { strict as assert } from 'node:assert';
import {
  buildTextEncoder,
  relativeBucketIndices,
  relativePositionBucket,
} from '../../src/model/networks/text_encoder';
import { fromFloat16Array } from '../../src/model/onnx/dtype';
import type { DType } from '../../src/model/onnx/dtype';
import { modelBytes } from '../../src/model/onnx/serialize';
import { FULL, TINY } from '../../src/model/presets';
import { seededValues } from '../../src/model/weights/seeded';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import { referenceBucket, umt5Reference } from './reference/umt5';

const SEED = 11;
const t = TINY.text;
const S = t.maxTokens;
/** fp32 ORT vs the float64-accumulating reference (measured ≈1e-6 with outputs of magnitude ≈3). */
const FP32_TOLERANCE = 1e-5;

function build(floatType: DType) {
  const def = buildTextEncoder(TINY, { floatType });
  const weights = new Map(def.graph.parameters.map((p) => [p.name, seededValues(p, SEED)]));
  return { def, weights, bytes: modelBytes(def.graph, (p) => weights.get(p.name)!) };
}

/** "walk to the door" in the tiny vocabulary (▁walk ▁to ▁the ▁door </s>), then padding. */
const WALK_IDS = [98, 129, 130, 176, 1];
function feeds(ids: readonly number[], mask: readonly number[]) {
  return {
    input_ids: { data: BigInt64Array.from(ids.map(BigInt)), dims: [1, S] },
    attention_mask: { data: BigInt64Array.from(mask.map(BigInt)), dims: [1, S] },
  };
}
const padded = (xs: number[], fill = 0) => [...xs, ...new Array<number>(S - xs.length).fill(fill)];
const walkIds = padded(WALK_IDS);
const walkMask = padded(WALK_IDS.map(() => 1));

describe('text encoder (umT5)', () => {
  describe('relative position buckets', () => {
    it('match hand-computed T5 buckets for 32 buckets, max distance 128, bidirectional', () => {
      const positions = [-200, -10, -1, 0, 1, 10, 200];
      // half 16 (keys after the query use 16…31), exact below 8, log buckets 8…15: ⌊8 + 8·ln(n/8)/ln 16⌋.
      const expected = [15, 8, 1, 0, 17, 24, 31];
      assert.deepEqual(
        positions.map((p) => relativePositionBucket(p, 32, 128)),
        expected,
      );
      assert.deepEqual(
        positions.map((p) => referenceBucket(p, 32, 128)),
        expected,
      );
    });

    it('agree with the threshold formulation at every distance of the full and tiny presets', () => {
      for (const c of [FULL.text, TINY.text]) {
        for (let r = -2 * c.maxTokens; r <= 2 * c.maxTokens; r++) {
          const got = relativePositionBucket(r, c.relBuckets, c.relMaxDistance);
          assert.equal(got, referenceBucket(r, c.relBuckets, c.relMaxDistance), `relative position ${r}`);
        }
      }
    });

    it('index [query, key] by key − query', () => {
      const idx = relativeBucketIndices(4, 8, 16); // half 4, exact below 2
      // query 1: keys 0…3 are at −1, 0, +1, +2 → 1, 0, 4+1, 4+2
      assert.deepEqual([...idx.subarray(4, 8)].map(Number), [1, 0, 5, 6]);
      assert.equal(idx.length, 16);
    });
  });

  describe('graph', () => {
    it('has the full preset’s ≈5.68 B parameters under Hugging Face UMT5EncoderModel names (graph only)', () => {
      const started = Date.now();
      const { graph } = buildTextEncoder(FULL, { floatType: 'float16' });
      const f = FULL.text;
      const perLayer =
        4 * f.dModel * f.heads * f.headDim + f.relBuckets * f.heads + 2 * f.dModel + 3 * f.dModel * f.ffn;
      assert.equal(graph.parameterCount, f.vocab * f.dModel + f.layers * perLayer + f.dModel);
      assert.equal(graph.parameterCount, 5_680_910_336);
      const shapes = new Map(graph.parameters.map((p) => [p.name, p.shape.join('×')]));
      const block = 'encoder.block.23.layer';
      assert.deepEqual(
        [...shapes].filter(([n]) => n.startsWith(`${block}.`)),
        [
          [`${block}.0.layer_norm.weight`, '4096'],
          [`${block}.0.SelfAttention.q.weight`, '4096×4096'],
          [`${block}.0.SelfAttention.k.weight`, '4096×4096'],
          [`${block}.0.SelfAttention.v.weight`, '4096×4096'],
          [`${block}.0.SelfAttention.relative_attention_bias.weight`, '32×64'],
          [`${block}.0.SelfAttention.o.weight`, '4096×4096'],
          [`${block}.1.layer_norm.weight`, '4096'],
          [`${block}.1.DenseReluDense.wi_0.weight`, '10240×4096'],
          [`${block}.1.DenseReluDense.wi_1.weight`, '10240×4096'],
          [`${block}.1.DenseReluDense.wo.weight`, '4096×10240'],
        ],
      );
      assert.equal(shapes.get('shared.weight'), '256384×4096');
      assert.equal(shapes.get('encoder.final_layer_norm.weight'), '4096');
      assert.equal([...shapes.keys()].filter((n) => n.endsWith('relative_attention_bias.weight')).length, 24);
      assert.equal(
        graph.parameters.filter((p) => p.name.endsWith('.bias')).length,
        0,
        'T5 linears have no biases',
      );
      assert.ok(Date.now() - started < 2000, `building took ${Date.now() - started} ms`);
    });

    it('declares int64 inputs [1, maxTokens] and the output [1, maxTokens, dModel]', () => {
      const { graph } = buildTextEncoder(TINY, { floatType: 'float32' });
      assert.deepEqual(
        graph.inputs.map((i) => [i.name, i.dtype, i.shape]),
        [
          ['input_ids', 'int64', [1, S]],
          ['attention_mask', 'int64', [1, S]],
        ],
      );
      assert.deepEqual(
        graph.outputs.map((o) => [o.name, o.shape]),
        [['text_embeddings', [1, S, t.dModel]]],
      );
    });
  });

  describe('inference (tiny preset)', () => {
    const fp32 = build('float32');

    it('matches the plain umT5 reference on ORT CPU, with and without padding', async () => {
      const fullIds = Array.from({ length: S }, (_, i) => (i * 37 + 5) % t.vocab);
      for (const [ids, mask] of [
        [walkIds, walkMask],
        [fullIds, fullIds.map(() => 1)],
      ] as const) {
        const got = (await runModel(fp32.bytes, feeds(ids, mask))).text_embeddings!;
        assert.deepEqual(got.dims, [1, S, t.dModel]);
        const diff = maxAbsDiff(got.data, umt5Reference(t, fp32.weights, ids, mask));
        assert.ok(diff < FP32_TOLERANCE, `max |ORT − reference| = ${diff}`);
      }
    });

    it('sets padding rows exactly to zero and ignores what the padded ids are', async () => {
      const a = (await runModel(fp32.bytes, feeds(walkIds, walkMask))).text_embeddings!.data;
      const b = (await runModel(fp32.bytes, feeds(padded(WALK_IDS, 77), walkMask))).text_embeddings!.data;
      const D = t.dModel;
      for (let s = WALK_IDS.length; s < S; s++) {
        assert.ok(
          a.subarray(s * D, (s + 1) * D).every((v) => v === 0),
          `row ${s} is not zero`,
        );
      }
      for (let s = 0; s < WALK_IDS.length; s++)
        assert.ok(a.subarray(s * D, (s + 1) * D).some((v) => v !== 0));
      assert.ok(maxAbsDiff(a, b) < 1e-6, `padded ids changed real rows by ${maxAbsDiff(a, b)}`);
    });

    it('applies the learned relative position bias of every layer', async () => {
      const zeroed = new Map(fp32.weights);
      for (const name of zeroed.keys()) {
        if (name.endsWith('relative_attention_bias.weight'))
          zeroed.set(name, new Float32Array(t.relBuckets * t.heads));
      }
      const bytes = modelBytes(fp32.def.graph, (p) => zeroed.get(p.name)!);
      const withBias = (await runModel(fp32.bytes, feeds(walkIds, walkMask))).text_embeddings!.data;
      const without = (await runModel(bytes, feeds(walkIds, walkMask))).text_embeddings!.data;
      assert.ok(maxAbsDiff(without, umt5Reference(t, zeroed, walkIds, walkMask)) < FP32_TOLERANCE);
      assert.ok(
        maxAbsDiff(withBias, without) > 1e-2,
        `bias changed the output by ${maxAbsDiff(withBias, without)}`,
      );
    });

    it('builds in fp16 and runs on ORT CPU close to the fp32 reference', async () => {
      // Weights are rounded to fp16 in the model, the reference keeps fp32 ones (measured ≈2e-3).
      const fp16 = build('float16');
      const got = (await runModel(fp16.bytes, feeds(walkIds, walkMask))).text_embeddings!;
      const values = fromFloat16Array(got.data as unknown as Uint16Array);
      const diff = maxAbsDiff(values, umt5Reference(t, fp16.weights, walkIds, walkMask));
      assert.ok(diff < 1e-2, `max |ORT fp16 − reference| = ${diff}`);
      assert.ok(values.subarray(WALK_IDS.length * t.dModel).every((v) => v === 0));
    });

    it('matches the reference on WebGPU', async function () {
      this.timeout(120_000);
      process.env.XDG_RUNTIME_DIR ??= '/tmp';
      if (!(await webgpuAvailable())) this.skip(); // no WebGPU adapter (lavapipe not installed)
      const got = (await runModel(fp32.bytes, feeds(walkIds, walkMask), 'webgpu')).text_embeddings!;
      const diff = maxAbsDiff(got.data, umt5Reference(t, fp32.weights, walkIds, walkMask));
      assert.ok(diff < FP32_TOLERANCE, `max |WebGPU − reference| = ${diff}`);
    });
  });
});
