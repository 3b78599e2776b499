import { strict as assert } from 'node:assert';
import { timestepTable } from '../../src/model/networks/dit/embeddings';
import { ropeAngles, ropeAxes } from '../../src/model/networks/dit/rope';
import { ditStep } from '../../src/model/networks/dit_step';
import { TINY } from '../../src/model/presets';
import {
  type Feeds,
  f32,
  fixtureCheckpoint,
  fixturePreset,
  i64,
  readFixture,
  rel,
  runNetwork,
} from './dit-fixtures';

/** fp32 ORT CPU vs the release's fp32 CPU outputs (the contract's bound; observed ≤ 5e-7). */
const FP32_BOUND = 1e-4;
/**
 * fp16 weights and activations (LayerNorms, modulation and the residual stream stay fp32) vs the same fp32
 * fixtures. Observed 6.0e-4 on the velocity; the bound leaves ~8× room for other CPUs' fp16 kernels.
 */
const FP16_BOUND = 5e-3;

const preset = fixturePreset();
const forward = readFixture('forward.safetensors');
const textRows = f32(readFixture('svn_inputs.safetensors'), 'text_embedding');
const { textLen, textDim } = preset.dit;

/** The trimmed T5 rows zero-padded to textLen, as the runtime feeds them (the release pads inside forward). */
function paddedText(): Float32Array {
  const out = new Float32Array(textLen * textDim);
  out.set(textRows);
  return out;
}

function feeds(x: Float32Array, timestep: BigInt64Array, history: Float32Array): Feeds {
  return {
    x: { data: x, dims: [1, 16, 10, 4, 4] },
    timestep: { data: timestep, dims: [1] },
    text: { data: paddedText(), dims: [1, textLen, textDim] },
    history_features: { data: history, dims: [1, 8, 16] },
  };
}

const forwardFeeds = () =>
  feeds(f32(forward, 'x'), i64(forward, 'timestep'), f32(forward, 'history_features'));

describe('dit_step = the release SVNModel.forward (official-tiny fixtures, ORT CPU)', () => {
  const checkpoint = fixtureCheckpoint();
  after(() => checkpoint.close());

  it('matches the official velocity and every recorded intermediate (fp32, rel ≤ 1e-4)', async () => {
    const def = ditStep(preset, { floatType: 'float32', debug: true });
    const out = await runNetwork(def, checkpoint.values, forwardFeeds());
    const names = ['patch_embedding_out', 'time_embedding_e', 'time_projection_e0'];
    names.push(
      ...Array.from({ length: preset.dit.layers }, (_, i) => `block_out.${i}`),
      'head_out',
      'velocity',
    );
    const figures: string[] = [];
    for (const name of names) {
      const r = rel(out[name]!.data, f32(forward, name));
      figures.push(`${name} ${r.toExponential(2)}`);
      assert.ok(r <= FP32_BOUND, `${name}: rel ${r}`);
    }
    // The text MLP over the 512 zero-padded rows: the fixture keeps the first L + 2 (rows ≥ L all equal MLP(0)).
    const head = f32(forward, 'text_context_head');
    const r = rel(out.text_context!.data.subarray(0, head.length), head);
    figures.push(`text_context_head ${r.toExponential(2)}`);
    assert.ok(r <= FP32_BOUND, `text_context_head: rel ${r}`);
    console.log(`      rel: ${figures.join(', ')}`);
    assert.deepEqual(out.velocity!.dims, [1, 16, 10, 4, 4]);
  });

  it('reproduces the model calls of the official 4-step loop (t = 999, 749, 499, 249)', async () => {
    const loop = readFixture('loop.safetensors');
    const def = ditStep(preset, { floatType: 'float32' });
    const figures: string[] = [];
    for (let k = 0; k < 4; k++) {
      const input = feeds(
        f32(loop, `step${k}.model_input`),
        i64(loop, `step${k}.timestep`),
        f32(loop, 'history_features'),
      );
      const out = await runNetwork(def, checkpoint.values, input);
      const r = rel(out.velocity!.data, f32(loop, `step${k}.velocity`));
      figures.push(`t=${i64(loop, `step${k}.timestep`)[0]}: ${r.toExponential(2)}`);
      assert.ok(r <= FP32_BOUND, `step ${k}: rel ${r}`);
    }
    console.log(`      velocity rel per step: ${figures.join(', ')}`);
  });

  it('gives the same velocity with MatMul/Softmax attention (the WebGPU workaround build)', async () => {
    const def = ditStep(preset, { floatType: 'float32', attention: 'unfused' });
    const r = rel(
      (await runNetwork(def, checkpoint.values, forwardFeeds())).velocity!.data,
      f32(forward, 'velocity'),
    );
    console.log(`      unfused velocity rel ${r.toExponential(2)}`);
    assert.ok(r <= FP32_BOUND, `rel ${r}`);
  });

  it('has exactly the contract I/O: x, timestep, text, history_features → velocity', () => {
    const def = ditStep(TINY, { floatType: 'float16' });
    const io = (ts: typeof def.graph.inputs) => ts.map((t) => `${t.name}:${t.dtype}[${t.shape.join(',')}]`);
    assert.deepEqual(io(def.graph.inputs), [
      'x:float32[1,16,10,4,4]',
      'timestep:int64[1]',
      'text:float16[1,512,32]',
      'history_features:float16[1,8,16]',
    ]);
    assert.deepEqual(io(def.graph.outputs), ['velocity:float32[1,16,10,4,4]']);
  });

  it('refuses a timestep outside the training range instead of embedding it', async () => {
    const def = ditStep(preset, { floatType: 'float32' });
    const bad = feeds(f32(forward, 'x'), BigInt64Array.of(1000n), f32(forward, 'history_features'));
    await assert.rejects(runNetwork(def, checkpoint.values, bad), /Gather|out of (data )?bounds|indices/i);
  });

  it('splits RoPE pairs frame | height | width as the release (44 | 42 | 42 channels at head dim 128)', () => {
    assert.deepEqual(ropeAxes(128), { frame: 44, height: 42, width: 42 });
    assert.deepEqual(ropeAxes(32), { frame: 12, height: 10, width: 10 }); // the fixture: 6 | 5 | 5 pairs
    // Token (f 3, h 2, w 5) of the official 10×16×16 grid: pair 0 turns by f, pair 22 by h, pair 43 by w (ω = 1).
    const angles = ropeAngles([10, 16, 16], 128);
    const token = (3 * 16 + 2) * 16 + 5;
    assert.deepEqual(
      [0, 22, 43].map((j) => angles[token * 64 + j]),
      [3, 2, 5],
    );
    assert.equal(angles[token * 64 + 1], 3 * Math.pow(10000, -2 / 44));
    assert.throws(() => ropeAxes(4), /head dim 4/);
  });

  it('embeds the integer timestep as [cos, sin] computed in float64', () => {
    const table = timestepTable(1000, 256);
    assert.equal(table[749 * 256], Math.fround(Math.cos(749)));
    assert.equal(table[749 * 256 + 128], Math.fround(Math.sin(749)));
    assert.equal(table[999 * 256 + 127 + 128], Math.fround(Math.sin(999 * Math.pow(10000, -127 / 128))));
  });

  it('refuses architectures it cannot express, naming the numbers', () => {
    assert.throws(
      () => ditStep({ ...TINY, dit: { ...TINY.dit, heads: 3 } }, { floatType: 'float32' }),
      /dim 64 .* 3 heads/,
    );
    assert.throws(
      () => ditStep({ ...TINY, dit: { ...TINY.dit, patch: [2, 2, 2] } }, { floatType: 'float32' }),
      /temporal patch 2/,
    );
    const narrow = { ...TINY.history, videoformer: { ...TINY.history.videoformer, dim: 8 } };
    assert.throws(
      () => ditStep({ ...TINY, history: narrow }, { floatType: 'float32' }),
      /history features are 8 wide but history_proj expects 16/,
    );
  });

  it(`fp16 build stays within ${FP16_BOUND} of the official fp32 velocity`, async () => {
    const def = ditStep(preset, { floatType: 'float16', debug: true });
    const out = await runNetwork(def, checkpoint.values, forwardFeeds());
    const figures = ['block_out.0', 'head_out', 'velocity'].map((n) => {
      const r = rel(out[n]!.data, f32(forward, n));
      assert.ok(r <= FP16_BOUND, `${n}: rel ${r}`);
      return `${n} ${r.toExponential(2)}`;
    });
    console.log(`      fp16 rel: ${figures.join(', ')}`);
  });
});
