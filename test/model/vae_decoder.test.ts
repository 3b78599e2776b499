import { strict as assert } from 'node:assert';
import { vaeDecoderCost, vaeEncoderCost } from '../../src/model/networks/vae/cost';
import type { CacheSlot } from '../../src/model/networks/vae/temporal';
import { buildVaeDecoder, buildVaeDecoderGraph } from '../../src/model/networks/vae_decoder';
import { ShapeError } from '../../src/model/onnx/graph';
import { modelBytes } from '../../src/model/onnx/serialize';
import { type ModelPreset, OFFICIAL, TINY } from '../../src/model/presets';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import * as ref from './reference/vae';

/** Tiny widths at 16×24 (latent 2×3): a non-square frame, so height and width cannot be swapped unnoticed. */
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
  it('decoding 1 + 2 latents one per call gives 1, 4, 4 frames equal to the whole-clip graph', async () => {
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
    const whole = ref.volOf(
      (await runModel(modelBytes(graph, ref.testWeights(graph, 41).values), { latent: ref.feedOf(latents) }))
        .frames!,
    );
    assert.equal(whole.t, 9);
    assert.ok(
      maxAbsDiff(joined.data, whole.data) < 1e-5,
      `stream vs clip ${maxAbsDiff(joined.data, whole.data)}`,
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

  it('single-chunk preview: a sparse chunk decoded alone (first_chunk = 1, zero caches) equals a one-latent clip, and differs from the same latent decoded in its stream', async () => {
    const latents = testLatents(SMALL, 2, 33);
    const { graph, temporal } = buildVaeDecoderGraph(SMALL, { floatType: 'float32' });
    const bytes = modelBytes(graph, ref.testWeights(graph, 43).values);
    const alone = ref.volOf(
      (await ref.runStream(bytes, temporal.caches, [{ latent: ref.feedOf(ref.framesOf(latents, 1, 2)) }]))[0]!
        .frames!,
    );
    const clip = buildVaeDecoderGraph(SMALL, { floatType: 'float32', clipFrames: 1 }).graph;
    const expected = ref.volOf(
      (
        await runModel(modelBytes(clip, ref.testWeights(clip, 43).values), {
          latent: ref.feedOf(ref.framesOf(latents, 1, 2)),
        })
      ).frames!,
    );
    assert.equal(alone.t, 1);
    assert.ok(
      maxAbsDiff(alone.data, expected.data) < 1e-5,
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
      ['cache_in.decoder.upsamples.3.time_conv', 'cache_in.decoder.upsamples.7.time_conv'],
    );
    const bytes = modelBytes(def.graph, ref.testWeights(def.graph, 1).values);
    const [first] = await ref.runStream(bytes, caches, [{ latent: ref.feedOf(testLatents(SMALL, 1, 3)) }]);
    for (const c of up)
      assert.ok(
        first![c.output]!.data.every((v) => v === 0),
        `${c.output} after the first chunk`,
      );
    assert.ok(first!['cache_out.decoder.conv1']!.data.some((v) => v !== 0));
  });

  it('rejects a latent of the wrong size at run time and a clip of 0 latents at build time', async () => {
    const { graph, temporal } = buildVaeDecoderGraph(SMALL, { floatType: 'float32' });
    const bytes = modelBytes(graph, ref.testWeights(graph, 1).values);
    await assert.rejects(
      ref.runStream(bytes, temporal.caches, [{ latent: ref.feedOf(testLatents(TINY, 1, 1)) }]),
      /latent.*Got: 4 Expected: 2/s,
    );
    assert.throws(
      () => buildVaeDecoderGraph(SMALL, { floatType: 'float32', clipFrames: 0 }),
      (e: Error) => e instanceof ShapeError && /at least 1 latent, got 0/.test(e.message),
    );
  });

  it('official preset: MACs per latent → 4 frames at 256×256 and per frame at 480×832', () => {
    const cost = vaeDecoderCost(OFFICIAL);
    console.log(
      `      vae_decoder official: ${(cost.parameters / 1e6).toFixed(2)} M parameters, ${(cost.macsPerChunk / 1e12).toFixed(3)} TMAC per latent → 4 frames at 256×256`,
    );
    assert.ok(
      cost.macsPerChunk > vaeEncoderCost(OFFICIAL).macsPerChunk,
      'the decoder costs more than the encoder',
    );
    const perFrame480 = vaeDecoderCost(OFFICIAL, { height: 480, width: 832 }).macsPerChunk / 4;
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
