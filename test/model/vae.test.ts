import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vaeEncoderCost } from '../../src/model/networks/vae/cost';
import { causalConv3d, rmsNormChannels } from '../../src/model/networks/vae/layers';
import { clipTemporal, streamTemporal } from '../../src/model/networks/vae/temporal';
import { buildVaeDecoder } from '../../src/model/networks/vae_decoder';
import { buildVaeEncoder, buildVaeEncoderGraph } from '../../src/model/networks/vae_encoder';
import { GraphBuilder, ShapeError } from '../../src/model/onnx/graph';
import { transpose } from '../../src/model/onnx/ops';
import { modelBytes } from '../../src/model/onnx/serialize';
import { type ModelPreset, OFFICIAL, TINY } from '../../src/model/presets';
import { maxAbsDiff, runModel, webgpuAvailable } from './ort';
import * as ref from './reference/vae';

/** Tiny widths at 32×48 (latent 4×6): a non-square frame, so height and width cannot be swapped unnoticed. */
const SMALL: ModelPreset = { ...TINY, resolution: { height: 32, width: 48 } };

/** Graph input [1, C, T, H, W] ↔ reference [C, T, H, W] share one memory layout; the layer graphs are [T, C, H, W]. */
function layerGraph(
  build: (g: GraphBuilder, x: ReturnType<GraphBuilder['input']>) => ReturnType<GraphBuilder['input']>,
  c: number,
  t: number,
  h: number,
  w: number,
) {
  const g = new GraphBuilder('layer', { floatType: 'float32' });
  const x = g.input('x', 'float32', [1, c, t, h, w]);
  const frames = transpose(g, g.node('Squeeze', [x, g.ints([0])], { shape: [c, t, h, w] })[0]!, [1, 0, 2, 3]);
  const y = build(g, frames);
  g.output(
    g.node('Unsqueeze', [transpose(g, y, [1, 0, 2, 3]), g.ints([0])], {
      shape: [1, y.shape[1]!, y.shape[0]!, y.shape[2]!, y.shape[3]!],
    })[0]!,
    'y',
  );
  return g;
}

/** Encodes a clip chunk by chunk with the streaming graph; returns the latents as one [16, 1 + k, h, w] volume. */
async function streamEncode(
  p: ModelPreset,
  clip: ref.Vol,
  seed: number,
  ep: 'cpu' | 'webgpu' = 'cpu',
): Promise<ref.Vol> {
  const { graph, temporal } = buildVaeEncoderGraph(p, { floatType: 'float32' });
  const bytes = modelBytes(graph, ref.testWeights(graph, seed).values);
  const calls = [{ frames: ref.feedOf(ref.framesOf(clip, 0, 1)) }];
  for (let s = 1; s < clip.t; s += 4) calls.push({ frames: ref.feedOf(ref.framesOf(clip, s, s + 4)) });
  const outs = await ref.runStream(bytes, temporal.caches, calls, ep);
  return outs.map((o) => ref.volOf(o.latent!)).reduce((a, b) => ref.catFrames(a, b));
}

describe('Wan VAE building blocks', () => {
  it('RMS_norm over channels equals F.normalize·√C·γ, and an all-zero pixel stays 0 instead of NaN', async () => {
    const [c, t, h, w] = [6, 2, 3, 4];
    const g = layerGraph((gb, x) => rmsNormChannels(gb, x, 'norm', c), c, t, h, w);
    const { values, W } = ref.testWeights(g, 3);
    const x = ref.testClip(c, t, h, w, 5);
    for (let ch = 0; ch < c; ch++) x.data[ch * t * h * w] = 0; // pixel (0, 0) of frame 0 is zero in every channel
    const out = await runModel(modelBytes(g, values), { x: ref.feedOf(x) });
    const expected = ref.rmsNorm(x, W('norm.gamma'));
    assert.ok(
      maxAbsDiff(out.y!.data, expected.data) < 1e-5,
      `max diff ${maxAbsDiff(out.y!.data, expected.data)}`,
    );
    assert.equal(out.y!.data[0], 0);
  });

  it('causal 3×3×3 conv over a clip equals the reference with two zero frames in front', async () => {
    const [c, t, h, w, o] = [3, 5, 6, 7, 4];
    const g = layerGraph((gb, x) => causalConv3d(gb, clipTemporal(), x, 'conv', c, o), c, t, h, w);
    const { values, W } = ref.testWeights(g, 4);
    const x = ref.testClip(c, t, h, w, 6);
    const out = await runModel(modelBytes(g, values), { x: ref.feedOf(x) });
    const expected = ref.causalConv3d(x, null, W('conv.weight'), W('conv.bias'), o);
    assert.deepEqual(out.y!.dims, [1, o, t, h, w]);
    assert.ok(
      maxAbsDiff(out.y!.data, expected.data) < 1e-5,
      `max diff ${maxAbsDiff(out.y!.data, expected.data)}`,
    );
  });

  it('causal conv streamed 1 + 4 frames with its 2-frame cache equals the conv over all 5 frames', async () => {
    const [c, h, w, o] = [3, 5, 6, 2];
    const g = new GraphBuilder('layer', { floatType: 'float32' });
    const t = streamTemporal(g);
    const x = g.input('x', 'float32', ['frames', c, h, w]);
    g.output(causalConv3d(g, t, x, 'conv', c, o), 'y');
    const { values, W } = ref.testWeights(g, 7);
    const clip = ref.testClip(c, 5, h, w, 8);
    const feed = (v: ref.Vol) => ({ data: framesFirstOf(v), dims: [v.t, c, h, w] });
    const calls = [{ x: feed(ref.framesOf(clip, 0, 1)) }, { x: feed(ref.framesOf(clip, 1, 5)) }];
    const outs = await ref.runStream(modelBytes(g, values), t.caches, calls);
    assert.equal(t.caches.length, 1);
    assert.deepEqual(t.caches[0]!.shape, [2, c, h, w]);
    assert.deepEqual(outs[1]!['cache_out.conv']!.data, framesFirstOf(ref.framesOf(clip, 3, 5)));
    const streamed = new Float32Array([...outs[0]!.y!.data, ...outs[1]!.y!.data]); // [T, O, H, W]
    const whole = framesFirstOf(ref.causalConv3d(clip, null, W('conv.weight'), W('conv.bias'), o));
    assert.ok(maxAbsDiff(streamed, whole) < 1e-5, `max diff ${maxAbsDiff(streamed, whole)}`);
  });
});

/** [C, T, H, W] → [T, C, H, W] data. */
function framesFirstOf(v: ref.Vol): Float32Array {
  const out = new Float32Array(v.data.length);
  const plane = v.h * v.w;
  for (let ch = 0; ch < v.c; ch++)
    for (let f = 0; f < v.t; f++)
      out.set(v.data.subarray((ch * v.t + f) * plane, (ch * v.t + f + 1) * plane), (f * v.c + ch) * plane);
  return out;
}

/** name → shape of the release's VAE checkpoint (copy of shared/design/official-vae-keys.txt). */
function officialVaeKeys(): Map<string, number[]> {
  const text = readFileSync(join(__dirname, '../fixtures/design/official-vae-keys.txt'), 'utf8');
  const keys = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name, shape] = line.split('\t');
    keys.set(name!, JSON.parse(shape!) as number[]);
  }
  return keys;
}

/** Latent chunk i of a [16, L, h, w] volume. */
const chunk = (v: ref.Vol, i: number) => ref.framesOf(v, i, i + 1).data;

describe('Wan VAE streaming encoder', () => {
  it('encoding 1 + 4 + 4 frames of a non-square clip chunk by chunk equals the whole-clip graph', async () => {
    const clip = ref.testClip(3, 9, SMALL.resolution.height, SMALL.resolution.width, 11);
    const streamed = await streamEncode(SMALL, clip, 21);
    const { graph } = buildVaeEncoderGraph(SMALL, { floatType: 'float32', clipFrames: 9 });
    const whole = ref.volOf(
      (await runModel(modelBytes(graph, ref.testWeights(graph, 21).values), { frames: ref.feedOf(clip) }))
        .latent!,
    );
    assert.deepEqual([whole.c, whole.t, whole.h, whole.w], [16, 3, 4, 6]);
    for (let i = 0; i < 3; i++) {
      assert.ok(
        maxAbsDiff(chunk(streamed, i), chunk(whole, i)) < 1e-5,
        `chunk ${i}: stream vs clip ${maxAbsDiff(chunk(streamed, i), chunk(whole, i))}`,
      );
    }
    // The chunks differ from each other: the caches carry the past, they are not constant.
    assert.ok(maxAbsDiff(chunk(streamed, 1), chunk(streamed, 2)) > 1e-3);
  });

  it('at the tiny preset resolution, 1 + 4·3 frames streamed equal the whole clip (fp32)', async () => {
    const { height, width } = TINY.resolution;
    const clip = ref.testClip(3, 13, height, width, 12);
    const streamed = await streamEncode(TINY, clip, 22);
    const { graph } = buildVaeEncoderGraph(TINY, { floatType: 'float32', clipFrames: 13 });
    const whole = ref.volOf(
      (await runModel(modelBytes(graph, ref.testWeights(graph, 22).values), { frames: ref.feedOf(clip) }))
        .latent!,
    );
    assert.deepEqual([streamed.t, whole.t], [4, 4]);
    assert.ok(
      maxAbsDiff(streamed.data, whole.data) < 1e-5,
      `max diff ${maxAbsDiff(streamed.data, whole.data)}`,
    );
  });

  it('has 24 causal caches (22 conv caches of 2 frames, 2 time-downsample caches of 1 frame) named after their layers', () => {
    const def = buildVaeEncoder(TINY, { floatType: 'float32' });
    const caches =
      (def.metadata!.caches as { input: string; output: string; shape: number[]; kind: string }[]) ?? [];
    assert.equal(caches.length, 24);
    assert.equal(caches.filter((c) => c.kind === 'time_downsample' && c.shape[0] === 1).length, 2);
    assert.equal(caches.filter((c) => c.kind === 'causal_conv' && c.shape[0] === 2).length, 22);
    assert.ok(
      caches.some(
        (c) =>
          c.input === 'cache_in.encoder.downsamples.5.time_conv' &&
          c.output === 'cache_out.encoder.downsamples.5.time_conv',
      ),
    );
    assert.deepEqual(def.metadata!.frames_per_call, { first: 1, steady: 4 });
    assert.deepEqual(
      def.graph.inputs.slice(0, 2).map((i) => i.name),
      ['first_chunk', 'frames'],
    );
  });

  it('rejects a steady call of 2 or 1 frames and a frame of the wrong size at run time, naming the shapes', async () => {
    const { graph, temporal } = buildVaeEncoderGraph(SMALL, { floatType: 'float32' });
    const bytes = modelBytes(graph, ref.testWeights(graph, 1).values);
    const { height, width } = SMALL.resolution;
    const ok = { frames: ref.feedOf(ref.testClip(3, 1, height, width, 1)) };
    await assert.rejects(
      ref.runStream(bytes, temporal.caches, [
        ok,
        { frames: ref.feedOf(ref.testClip(3, 2, height, width, 2)) },
      ]),
      /frame_count_check.*mismatched dimensions of 4 and 2/s,
    );
    await assert.rejects(
      ref.runStream(bytes, temporal.caches, [
        { frames: ref.feedOf(ref.testClip(3, 1, height, width + 8, 1)) },
      ]),
      /frames.*Got: 56 Expected: 48/s,
    );
    await assert.rejects(ref.runStream(bytes, temporal.caches, [ok, ok]), /mismatched dimensions of 4 and 1/);
  });

  it('refuses at build time a clip that is not 1 + 4k frames and a resolution the VAE stride does not divide', () => {
    assert.throws(
      () => buildVaeEncoderGraph(SMALL, { floatType: 'float32', clipFrames: 6 }),
      (e: Error) => e instanceof ShapeError && /1 \+ 4k frames, got 6/.test(e.message),
    );
    const odd = { ...SMALL, resolution: { height: 36, width: 48 } };
    assert.throws(
      () => buildVaeEncoderGraph(odd, { floatType: 'float32' }),
      /resolution 36×48 is not a positive multiple of the VAE stride 8/,
    );
  });

  it('official preset: encoder and decoder parameters are exactly the 194 tensors of Wan2.1_VAE.pth with their shapes', () => {
    const keys = officialVaeKeys();
    assert.equal(keys.size, 194);
    const params = new Map<string, number[]>();
    for (const build of [buildVaeEncoder, buildVaeDecoder]) {
      for (const p of build(OFFICIAL, { floatType: 'float16' }).graph.parameters) {
        assert.ok(!params.has(p.name), `${p.name} in both graphs`);
        params.set(p.name, [...p.shape]);
      }
    }
    assert.deepEqual([...params.keys()].sort(), [...keys.keys()].sort());
    for (const [name, shape] of keys) assert.deepEqual(params.get(name), shape, name);
    const elements = [...params.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    assert.equal(elements, 126892531); // the key list's total
  });

  it('official preset: MACs per 4-frame chunk at 256×256 and 480×832', () => {
    const cost = vaeEncoderCost(OFFICIAL);
    console.log(
      `      vae_encoder official: ${(cost.parameters / 1e6).toFixed(2)} M parameters, ${(cost.macsPerChunk / 1e12).toFixed(3)} TMAC per 4-frame chunk at 256×256`,
    );
    assert.ok(cost.macsPerChunk > 0.55e12 && cost.macsPerChunk < 0.75e12, `MACs ${cost.macsPerChunk}`);
    const at480 = vaeEncoderCost(OFFICIAL, { height: 480, width: 832 }).macsPerChunk / 4;
    assert.ok(at480 > 0.9e12 && at480 < 1.2e12, `MACs per frame at 480×832 ${at480} (SYSTEM.md: ≈1.0 T)`);
  });

  it('WebGPU: a streamed 1 + 4 frame encode matches the CPU execution provider', async function () {
    if (!(await webgpuAvailable())) this.skip(); // no Vulkan/WebGPU adapter on this machine
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    this.timeout(120000);
    const clip = ref.testClip(3, 5, SMALL.resolution.height, SMALL.resolution.width, 13);
    const [cpu, gpu] = [await streamEncode(SMALL, clip, 23), await streamEncode(SMALL, clip, 23, 'webgpu')];
    assert.ok(maxAbsDiff(cpu.data, gpu.data) < 1e-3, `max diff ${maxAbsDiff(cpu.data, gpu.data)}`);
  });
});
