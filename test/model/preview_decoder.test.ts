import { strict as assert } from 'node:assert';
import { previewDecoderCost, vaeDecoderCost } from '../../src/model/networks/vae/cost';
import { buildPreviewDecoder, buildPreviewDecoderGraph } from '../../src/model/networks/preview_decoder';
import { modelBytes } from '../../src/model/onnx/serialize';
import { FULL, type ModelPreset, TINY } from '../../src/model/presets';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import * as ref from './reference/vae';

const SMALL: ModelPreset = { ...TINY, resolution: { height: 16, width: 24 } };

const testLatents = (p: ModelPreset, n: number, seed: number) => {
  const v = ref.testClip(16, n, p.resolution.height / 8, p.resolution.width / 8, seed);
  return ref.vol(
    v.c,
    v.t,
    v.h,
    v.w,
    v.data.map((x) => 2 * x),
  );
};

async function decode(p: ModelPreset, latents: ref.Vol, seed: number, ep: 'cpu' | 'webgpu' = 'cpu') {
  const g = buildPreviewDecoderGraph(p, { floatType: 'float32' });
  const { values, W } = ref.testWeights(g, seed);
  const out = await runModel(modelBytes(g, values), { latent: ref.feedOf(latents) }, ep);
  return { frames: ref.volOf(out.frames!), W };
}

describe('fast preview decoder (TAEHV-style)', () => {
  it('decodes 3 normalised latents to 4·3 − 3 = 9 frames in [0, 1], equal to the TAEHV reference', async () => {
    const latents = testLatents(SMALL, 3, 51);
    const { frames, W } = await decode(SMALL, latents, 61);
    assert.deepEqual([frames.c, frames.t, frames.h, frames.w], [3, 9, 16, 24]);
    const expected = ref.taehvDecode(latents, W, SMALL);
    assert.ok(
      maxAbsDiff(frames.data, expected.data) < 1e-4,
      `max diff ${maxAbsDiff(frames.data, expected.data)}`,
    );
    assert.ok(frames.data.every((v) => v >= 0 && v <= 1));
    assert.ok(
      frames.data.some((v) => v > 0.02 && v < 0.98),
      'frames are not all clamped',
    );
  });

  it('takes any number of latents, and memory blocks only look back: appending a latent leaves earlier frames unchanged', async () => {
    const latents = testLatents(SMALL, 2, 52);
    const one = (await decode(SMALL, ref.framesOf(latents, 0, 1), 62)).frames;
    const two = (await decode(SMALL, latents, 62)).frames;
    assert.deepEqual([one.t, two.t], [1, 5]);
    assert.ok(maxAbsDiff(one.data, ref.framesOf(two, 0, 1).data) < 1e-6);
    // …while the frames of latent 1 do see latent 0 through the memory blocks.
    const secondAlone = (await decode(SMALL, ref.framesOf(latents, 1, 2), 62)).frames;
    assert.ok(maxAbsDiff(ref.framesOf(two, 4, 5).data, ref.framesOf(secondAlone, 0, 1).data) > 1e-3);
  });

  it('rejects latents with the wrong channel count at run time', async () => {
    const g = buildPreviewDecoderGraph(SMALL, { floatType: 'float32' });
    const bytes = modelBytes(g, ref.testWeights(g, 1).values);
    await assert.rejects(
      runModel(bytes, { latent: { data: new Float32Array(8 * 6), dims: [1, 8, 1, 2, 3] } }),
      /latent.*Got: 8 Expected: 16/s,
    );
  });

  it('full preset: ≈9.9 M parameters with TAEHV’s decoder names, ≈24× fewer MACs per chunk than the Wan decoder', () => {
    const def = buildPreviewDecoder(FULL, { floatType: 'float16' });
    const count = def.graph.parameterCount;
    assert.ok(Math.abs(count / 9.9e6 - 1) < 0.01, `preview decoder parameters ${count}`);
    const shapes = new Map(def.graph.parameters.map((p) => [p.name, p.shape]));
    assert.deepEqual(shapes.get('decoder.1.weight'), [256, 16, 3, 3]);
    assert.deepEqual(shapes.get('decoder.3.conv.0.weight'), [256, 512, 3, 3]);
    assert.deepEqual(shapes.get('decoder.7.conv.weight'), [256, 256, 1, 1]);
    assert.deepEqual(shapes.get('decoder.13.conv.weight'), [256, 128, 1, 1]);
    assert.deepEqual(shapes.get('decoder.19.conv.weight'), [128, 64, 1, 1]);
    assert.deepEqual(shapes.get('decoder.20.weight'), [64, 64, 3, 3]);
    assert.deepEqual(shapes.get('decoder.22.weight'), [3, 64, 3, 3]);
    assert.equal(shapes.get('decoder.8.bias'), undefined);
    const preview = previewDecoderCost(FULL, { height: 256, width: 448 });
    const ratio = vaeDecoderCost(FULL, { height: 256, width: 448 }).macsPerChunk / preview.macsPerChunk;
    console.log(
      `      preview_decoder full: ${(preview.parameters / 1e6).toFixed(2)} M parameters, ${(preview.macsPerChunk / 1e9).toFixed(1)} GMAC per latent at 256×448 (${ratio.toFixed(1)}× less than the Wan decoder)`,
    );
    assert.ok(ratio > 20 && ratio < 30, `ratio ${ratio}`);
    assert.deepEqual(def.metadata!.output_range, [0, 1]);
  });

  it('WebGPU: matches the CPU execution provider', async function () {
    if (!(await webgpuAvailable())) this.skip(); // no Vulkan/WebGPU adapter on this machine
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    this.timeout(120000);
    const latents = testLatents(SMALL, 2, 53);
    const [cpu, gpu] = [
      (await decode(SMALL, latents, 63)).frames,
      (await decode(SMALL, latents, 63, 'webgpu')).frames,
    ];
    assert.ok(maxAbsDiff(cpu.data, gpu.data) < 1e-3, `max diff ${maxAbsDiff(cpu.data, gpu.data)}`);
  });
});
