import { strict as assert } from 'node:assert';
import { ditStep } from '../../src/model/networks/dit_step';
import { framePositionTable } from '../../src/model/networks/former/qformer';
import { historyCompressor } from '../../src/model/networks/history_compressor';
import type { Parameter } from '../../src/model/onnx/graph';
import { OFFICIAL } from '../../src/model/presets';
import { seededValues } from '../../src/model/weights/seeded';
import { checkpointDifferences, fixtureCheckpoint, fixturePreset } from './dit-fixtures';

/**
 * The release's SVNModel checkpoint (`svn_ckpt/diffusion_pytorch_model.safetensors`) is exactly the parameters of
 * dit_step plus history_compressor under the checkpoint's names without `vgm.`; and the official sizes (OFFICIAL.md
 * §8) build without weights, with the released parameter count.
 */
describe('SVNModel checkpoint = dit_step + history_compressor parameters', () => {
  it('loads 1:1: every graph parameter is in the checkpoint with its shape, and no checkpoint tensor is left over', () => {
    const preset = fixturePreset();
    const defs = [
      ditStep(preset, { floatType: 'float32' }),
      historyCompressor(preset, { floatType: 'float32' }),
    ];
    const checkpoint = fixtureCheckpoint();
    try {
      const { missing, misshaped, unused } = checkpointDifferences(defs, checkpoint.shapes);
      assert.deepEqual({ missing, misshaped, unused }, { missing: [], misshaped: [], unused: [] });
      const declared = defs.reduce((n, d) => n + d.graph.parameters.length, 0);
      console.log(`      ${declared} graph parameters = ${checkpoint.shapes.size} checkpoint tensors`);
      assert.equal(declared, checkpoint.shapes.size);
    } finally {
      checkpoint.close();
    }
  });

  it('seeds qformer.internal_pos_embedding with the buffer the checkpoint stores', () => {
    const preset = fixturePreset();
    const def = historyCompressor(preset, { floatType: 'float32' });
    const p = def.graph.parameters.find((q) => q.name === 'qformer.internal_pos_embedding')!;
    const checkpoint = fixtureCheckpoint();
    try {
      const stored = checkpoint.values(p);
      const seeded = seededValues(p, 1);
      // The release computes the table in float32 arithmetic, ours in float64: they differ by rounding only.
      const d = stored.reduce((m, v, i) => Math.max(m, Math.abs(v - seeded[i]!)), 0);
      console.log(`      seeded vs stored frame table: max abs diff ${d.toExponential(2)}`);
      assert.ok(d < 1e-5, `diff ${d}`);
      assert.equal(seeded[1], 1); // row 0: sin 0, cos 0 interleaved
      assert.deepEqual(p.shape, [preset.history.qformer.maxFrames, preset.history.qformer.dim]);
      assert.throws(() => seededValues({ ...p, shape: [2, 2] } as Parameter, 1), /table has 256 values/);
      assert.equal(framePositionTable(4, 2)[2 * 2], Math.fround(Math.sin(2)));
    } finally {
      checkpoint.close();
    }
  });
});

describe('official preset (256×256, 30 blocks), dry build without weights', () => {
  const dit = ditStep(OFFICIAL, { floatType: 'float16' });
  const history = (n: number) => historyCompressor(OFFICIAL, { floatType: 'float16', nominalChunks: n });

  it('has the released parameter count: 1,785,980,992 incl. the 262,144-element frame table', () => {
    const hc = history(45).graph;
    const total = dit.graph.parameterCount + hc.parameterCount;
    const buffer = hc.parameters.find((p) => p.name === 'qformer.internal_pos_embedding')!;
    console.log(
      `      dit_step ${dit.graph.parameterCount.toLocaleString('en')} + history_compressor ` +
        `${hc.parameterCount.toLocaleString('en')} = ${total.toLocaleString('en')} parameters ` +
        `(${dit.graph.parameters.length + hc.parameters.length} tensors)`,
    );
    assert.equal(total, 1_785_980_992);
    assert.equal(dit.graph.parameters.length + hc.parameters.length, 1498);
    assert.deepEqual(buffer.shape, [512, 512]);
    assert.deepEqual(
      dit.graph.parameters.find((p) => p.name === 'patch_embedding.weight')!.shape,
      [1536, 16, 1, 2, 2],
    );
    assert.deepEqual(hc.parameters.find((p) => p.name === 'video_former.latents')!.shape, [10, 256, 512]);
  });

  it('costs ≈5.4 TMAC per DiT forward; the history compressor grows by ≈45.9 GMAC per history chunk', () => {
    const [m1, m15, m45] = [1, 15, 45].map((n) => history(n).graph.macs);
    console.log(
      `      dit_step ${(dit.graph.macs / 1e12).toFixed(3)} TMAC per forward; history_compressor ` +
        `${(m1! / 1e9).toFixed(1)} / ${(m15! / 1e9).toFixed(1)} / ${(m45! / 1e9).toFixed(1)} GMAC at N = 1 / 15 / 45`,
    );
    // Per block: linears 4 (self) + 2 (text q, o) + 2 (history q, o) + 2·8960/1536 (FFN) times S·d², the text and
    // history K/V, history_proj, and the three attentions over 2560 + 512 + 2560 keys.
    const [S, d] = [2560, 1536];
    const block =
      S * d * d * (8 + (2 * 8960) / d) +
      2 * 512 * d * d +
      2 * S * d * d +
      S * (512 * 512 + 512 * d) +
      2 * S * d * (S + 512 + S);
    const expected = 30 * block + 512 * (4096 * d + d * d) + S * 64 * d + S * 64 * d;
    assert.ok(Math.abs(dit.graph.macs / expected - 1) < 0.01, `${dit.graph.macs} vs ${expected}`);
    // Per chunk: 1024 tokens through history_pre/post_proj, then per Q-Former layer K/V of them and 10240 queries on them.
    const perChunk = 1024 * (16 * d + d * 512) + 4 * (2 * 1024 * 512 * 512 + 2 * 10240 * 1024 * 512);
    assert.ok(Math.abs((m45! - m1!) / 44 / perChunk - 1) < 0.001, `${(m45! - m1!) / 44} vs ${perChunk}`);
    assert.ok(Math.abs((m15! - m1!) / 14 / perChunk - 1) < 0.001);
  });
});
