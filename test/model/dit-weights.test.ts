import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDitStep } from '../../src/model/networks/dit_step';
import { modelBytes } from '../../src/model/onnx/serialize';
import { TINY } from '../../src/model/presets';
import { checkpointWeights, WeightMismatchError } from '../../src/model/weights/resolve';
import { writeSafetensors } from '../../src/model/weights/safetensors';
import { ditCase, ditValues, weightsByName } from './dit-fixtures';
import { maxAbsDiff, runModel } from './ort';
import { ditStepReference } from './reference/dit';

/**
 * A Diffusers-named checkpoint of the Wan part (no history tensors, as a published Wan2.1 checkpoint) loads 1:1;
 * the history parameters keep their seeded values (zero output projection); any other difference is refused.
 */
describe('dit_step weights from a safetensors checkpoint', () => {
  const def = buildDitStep(TINY, { floatType: 'float32' });
  const CHECKPOINT_SEED = 23;
  const BUILD_SEED = 4;
  let dir: string;
  const wanTensors = () => {
    const values = ditValues(CHECKPOINT_SEED, { gain: 5 });
    const out: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
    for (const p of def.graph.parameters)
      if (!def.isNewParameter!(p.name)) out[p.name] = { shape: p.shape, data: values(p) };
    return out;
  };
  const write = (name: string, tensors: ReturnType<typeof wanTensors>) => {
    const path = join(dir, name);
    writeSafetensors(path, tensors);
    return path;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dit-weights-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a Wan checkpoint with Diffusers names and matches the reference on those weights', async () => {
    const resolved = await checkpointWeights(def, [write('wan.safetensors', wanTensors())], BUILD_SEED);
    try {
      const seeded = resolved.provenance.kind === 'loaded' ? resolved.provenance.seededParameters : [];
      assert.deepEqual(
        seeded,
        def.graph.parameters.filter((p) => def.isNewParameter!(p.name)).map((p) => p.name),
      );
      const c = ditCase(TINY, { seed: 12, textBatch: 2 });
      const out = await runModel(modelBytes(def.graph, resolved.values), c.feeds);
      const ref = ditStepReference(TINY, weightsByName(def, resolved.values).W, c.reference);
      const d = maxAbsDiff(out.velocity!.data, ref.velocity);
      console.log(`      loaded weights: max abs diff velocity ${d.toExponential(2)}`);
      assert.ok(d < 5e-5, `diff ${d}`);
      // The checkpoint's values are what ran, not the build seed's.
      const seededRun = await runModel(modelBytes(def.graph, ditValues(BUILD_SEED)), c.feeds);
      assert.ok(maxAbsDiff(seededRun.velocity!.data, ref.velocity) > 1e-2);
    } finally {
      resolved.close();
    }
  });

  it('names a missing tensor', async () => {
    const tensors = wanTensors();
    delete tensors['blocks.1.attn2.to_k.weight'];
    await assert.rejects(
      checkpointWeights(def, [write('missing.safetensors', tensors)], BUILD_SEED),
      (err: unknown) => {
        assert.ok(err instanceof WeightMismatchError);
        assert.deepEqual(err.missing, ['blocks.1.attn2.to_k.weight']);
        assert.match(err.message, /missing 1: blocks\.1\.attn2\.to_k\.weight/);
        return true;
      },
    );
  });

  it('names a stray tensor', async () => {
    const tensors = wanTensors();
    tensors['blocks.0.attn4.to_q.weight'] = { shape: [2], data: new Float32Array(2) };
    await assert.rejects(
      checkpointWeights(def, [write('stray.safetensors', tensors)], BUILD_SEED),
      (err: unknown) => {
        assert.ok(err instanceof WeightMismatchError);
        assert.deepEqual(err.unexpected, ['blocks.0.attn4.to_q.weight']);
        return true;
      },
    );
  });

  it('names a mis-shaped tensor with both shapes', async () => {
    const tensors = wanTensors();
    tensors['patch_embedding.weight'] = { shape: [64, 16, 2, 2], data: new Float32Array(64 * 64) };
    await assert.rejects(
      checkpointWeights(def, [write('shape.safetensors', tensors)], BUILD_SEED),
      (err: unknown) => {
        assert.ok(err instanceof WeightMismatchError);
        assert.deepEqual(err.misshaped, [
          { name: 'patch_embedding.weight', expected: [64, 16, 1, 2, 2], actual: [64, 16, 2, 2] },
        ]);
        return true;
      },
    );
  });
});
