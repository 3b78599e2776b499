import { strict as assert } from 'node:assert';
import { vaeDecoderCost, vaeEncoderCost } from '../../src/model/networks/vae/cost';
import type { CacheSlot } from '../../src/model/networks/vae/temporal';
import { buildVaeDecoder, buildVaeDecoderGraph } from '../../src/model/networks/vae_decoder';
import { ShapeError } from '../../src/model/onnx/graph';
import { modelBytes } from '../../src/model/onnx/serialize';
import { FULL, type ModelPreset, TINY } from '../../src/model/presets';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import * as ref from './reference/vae';

/** Tiny widths at 16×24 (latent 2×3): small enough for the loop reference. */
const SMALL: ModelPreset = { ...TINY, resolution: { height: 16, width: 24 } };

/** Normalised-looking latents [16, L, h, w] ~ N(0, 1)-ish. */
const testLatents = (p: ModelPreset, l: number, seed: number) => {
  const v = ref.testClip(16, l, p.resolution.height / 8, p.resolution.width / 8, seed);
  return ref.vol(
    v.c,
    v.t,
    v.h,
    v.w,
    v.data.map((x) => 1.7 * x),
  );
};

async function streamDecode(
  p: ModelPreset,
  latents: ref.Vol,
  seed: number,
  ep: 'cpu' | 'webgpu' = 'cpu',
): Promise<ref.Vol[]> {
  const { graph, temporal } = buildVaeDecoderGraph(p, { floatType: 'float32' });
  const bytes = modelBytes(graph, ref.testWeights(graph, seed).values);
  const calls = Array.from({ length: latents.t }, (_, i) => ({
    latent: ref.feedOf(ref.framesOf(latents, i, i + 1)),
  }));
  return (await ref.runStream(bytes, temporal.caches, calls, ep)).map((o) => ref.volOf(o.frames!));
}

describe('Wan VAE streaming decoder', () => {
  it('decoding 1 + 2 latents one per call gives 1, 4, 4 frames equal to the whole-clip graph and Wan’s loop (reference)', async () => {
    const latents = testLatents(SMALL, 3, 31);
    const streamed = await streamDecode(SMALL, latents, 41);
    assert.deepEqual(
      streamed.map((f) => [f.c, f.t, f.h, f.w]),
      [
        [3, 1, 16, 24],
        [3, 4, 16, 24],
        [3, 4, 16, 24],
      ],
    );
    const joined = streamed.reduce((a, b) => ref.catFrames(a, b));
    const { graph } = buildVaeDecoderGraph(SMALL, { floatType: 'float32', clipFrames: 3 });
    const { values, W } = ref.testWeights(graph, 41);
    const whole = ref.volOf(
      (await runModel(modelBytes(graph, values), { latent: ref.feedOf(latents) })).frames!,
    );
    const reference = ref.wanDecode(latents, W, SMALL);
    assert.equal(whole.t, 9);
    assert.ok(
      maxAbsDiff(joined.data, whole.data) < 1e-5,
      `stream vs clip ${maxAbsDiff(joined.data, whole.data)}`,
    );
    assert.ok(
      maxAbsDiff(joined.data, reference.data) < 1e-4,
      `stream vs reference ${maxAbsDiff(joined.data, reference.data)}`,
    );
    assert.ok(joined.data.every((v) => v >= -1 && v <= 1));
    assert.ok(
      joined.data.some((v) => Math.abs(v) > 0.05 && Math.abs(v) < 0.95),
      'frames are not all clamped',
    );
  });

  it('at the tiny preset resolution, 1 + 2 latents streamed equal the whole clip', async () => {
    const latents = testLatents(TINY, 3, 32);
    const joined = (await streamDecode(TINY, latents, 42)).reduce((a, b) => ref.catFrames(a, b));
    const { graph } = buildVaeDecoderGraph(TINY, { floatType: 'float32', clipFrames: 3 });
    const whole = ref.volOf(
      (await runModel(modelBytes(graph, ref.testWeights(graph, 42).values), { latent: ref.feedOf(latents) }))
        .frames!,
    );
    assert.equal(whole.t, 9);
    assert.ok(maxAbsDiff(joined.data, whole.data) < 1e-5, `max diff ${maxAbsDiff(joined.data, whole.data)}`);
  });

  it('single-chunk preview: a sparse chunk decoded alone (first_chunk = 1, zero caches) equals Wan decoding that latent alone', async () => {
    const latents = testLatents(SMALL, 2, 33);
    const { graph, temporal } = buildVaeDecoderGraph(SMALL, { floatType: 'float32' });
    const { values, W } = ref.testWeights(graph, 43);
    const bytes = modelBytes(graph, values);
    const alone = ref.volOf(
      (await ref.runStream(bytes, temporal.caches, [{ latent: ref.feedOf(ref.framesOf(latents, 1, 2)) }]))[0]!
        .frames!,
    );
    const expected = ref.wanDecode(ref.framesOf(latents, 1, 2), W, SMALL);
    assert.equal(alone.t, 1);
    assert.ok(
      maxAbsDiff(alone.data, expected.data) < 1e-4,
      `max diff ${maxAbsDiff(alone.data, expected.data)}`,
    );
    // In the stream the same latent is decoded with its past and comes out differently.
    const inStream = (
      await ref.runStream(
        bytes,
        temporal.caches,
        [0, 1].map((i) => ({ latent: ref.feedOf(ref.framesOf(latents, i, i + 1)) })),
      )
    )[1]!;
    assert.ok(maxAbsDiff(ref.framesOf(ref.volOf(inStream.frames!), 0, 1).data, alone.data) > 1e-3);
  });

  it('has 32 causal caches: 30 of 2 frames for the 3³ convs, 2 time-upsample caches that stay zero through the first chunk', async () => {
    const def = buildVaeDecoder(SMALL, { floatType: 'float32' });
    const caches = def.metadata!.caches as CacheSlot[];
    assert.equal(caches.length, 32);
    const up = caches.filter((c) => c.kind === 'time_upsample');
    assert.deepEqual(
      up.map((c) => c.input),
      [
        'cache_in.decoder.up_blocks.0.upsamplers.0.time_conv',
        'cache_in.decoder.up_blocks.1.upsamplers.0.time_conv',
      ],
    );
    const bytes = modelBytes(def.graph, ref.testWeights(def.graph, 1).values);
    const [first] = await ref.runStream(bytes, caches, [{ latent: ref.feedOf(testLatents(SMALL, 1, 3)) }]);
    for (const c of up)
      assert.ok(
        first![c.output]!.data.every((v) => v === 0),
        `${c.output} after the first chunk`,
      );
    assert.ok(first!['cache_out.decoder.conv_in']!.data.some((v) => v !== 0));
  });

  it('rejects a latent of the wrong size at run time and a clip of 0 latents at build time', async () => {
    const { graph, temporal } = buildVaeDecoderGraph(SMALL, { floatType: 'float32' });
    const bytes = modelBytes(graph, ref.testWeights(graph, 1).values);
    await assert.rejects(
      ref.runStream(bytes, temporal.caches, [{ latent: ref.feedOf(testLatents(TINY, 1, 1)) }]),
      /latent.*Got: 8 Expected: 2/s,
    );
    assert.throws(
      () => buildVaeDecoderGraph(SMALL, { floatType: 'float32', clipFrames: 0 }),
      (e: Error) => e instanceof ShapeError && /at least 1 latent, got 0/.test(e.message),
    );
  });

  it('full preset: 73.3 M parameters (±1 %) with Wan’s checkpoint names and shapes; MACs per chunk at 256×448', () => {
    const def = buildVaeDecoder(FULL, { floatType: 'float16' });
    const count = def.graph.parameterCount;
    assert.ok(Math.abs(count / 73.3e6 - 1) < 0.01, `decoder parameters ${count}`);
    const shapes = new Map(def.graph.parameters.map((p) => [p.name, p.shape]));
    assert.deepEqual(shapes.get('post_quant_conv.weight'), [16, 16, 1, 1, 1]);
    assert.deepEqual(shapes.get('decoder.conv_in.weight'), [384, 16, 3, 3, 3]);
    assert.deepEqual(shapes.get('decoder.mid_block.attentions.0.proj.weight'), [384, 384, 1, 1]);
    assert.deepEqual(shapes.get('decoder.up_blocks.0.upsamplers.0.time_conv.weight'), [768, 384, 3, 1, 1]);
    assert.deepEqual(shapes.get('decoder.up_blocks.0.upsamplers.0.resample.1.weight'), [192, 384, 3, 3]);
    assert.deepEqual(shapes.get('decoder.up_blocks.1.resnets.0.conv_shortcut.weight'), [384, 192, 1, 1, 1]);
    assert.deepEqual(shapes.get('decoder.up_blocks.3.resnets.2.conv2.weight'), [96, 96, 3, 3, 3]);
    assert.equal(shapes.get('decoder.up_blocks.3.upsamplers.0.resample.1.weight'), undefined);
    assert.deepEqual(shapes.get('decoder.conv_out.weight'), [3, 96, 3, 3, 3]);
    const cost = vaeDecoderCost(FULL, { height: 256, width: 448 });
    console.log(
      `      vae_decoder full: ${(cost.parameters / 1e6).toFixed(2)} M parameters, ${(cost.macsPerChunk / 1e12).toFixed(3)} TMAC per latent → 4 frames at 256×448`,
    );
    assert.ok(
      cost.macsPerChunk > vaeEncoderCost(FULL).macsPerChunk,
      'the decoder costs more than the encoder',
    );
    const perFrame480 = vaeDecoderCost(FULL, { height: 480, width: 832 }).macsPerChunk / 4;
    assert.ok(
      perFrame480 > 1.4e12 && perFrame480 < 2.0e12,
      `MACs per output frame at 480×832 ${perFrame480} (SYSTEM.md: ≈1.7 T)`,
    );
  });

  it('WebGPU: a streamed decode of 2 latents matches the CPU execution provider', async function () {
    if (!(await webgpuAvailable())) this.skip(); // no Vulkan/WebGPU adapter on this machine
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    this.timeout(120000);
    const latents = testLatents(SMALL, 2, 34);
    const cpu = await streamDecode(SMALL, latents, 44);
    const gpu = await streamDecode(SMALL, latents, 44, 'webgpu');
    for (let i = 0; i < 2; i++)
      assert.ok(
        maxAbsDiff(cpu[i]!.data, gpu[i]!.data) < 1e-3,
        `call ${i}: ${maxAbsDiff(cpu[i]!.data, gpu[i]!.data)}`,
      );
  });
});
