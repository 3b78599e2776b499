import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkDefinition } from '../../src/model/network';
import type { CacheSlot } from '../../src/model/networks/vae/temporal';
import { buildVaeDecoder, buildVaeDecoderGraph } from '../../src/model/networks/vae_decoder';
import { buildVaeEncoder, buildVaeEncoderGraph } from '../../src/model/networks/vae_encoder';
import type { DType } from '../../src/model/onnx/dtype';
import { modelBytes } from '../../src/model/onnx/serialize';
import { type ModelPreset, TINY } from '../../src/model/presets';
import {
  checkpointWeightsFromSources,
  unclaimedTensors,
  WeightMismatchError,
} from '../../src/model/weights/resolve';
import { openTensorFile } from '../../src/model/weights/tensor-source';
import { f32, OFFICIAL_TINY, readFixture, relativeError } from '../official-fixtures';
import { runModel } from './ort';
import * as ref from './reference/vae';

/**
 * The VAE graphs against the release's `WanVAE` (test/fixtures/official-tiny/vae): the tiny `WanVAE_` checkpoint
 * (dim 4, the real layer list) loaded by name, and the release's encode/decode outputs of a 32×32 clip.
 */
const CHECKPOINT = join(OFFICIAL_TINY, 'vae', 'vae_tiny.pth');
const fixture = readFixture('vae/vae.safetensors');

/** `WanVAE_(**meta.vae.config)` of the fixture, as a preset at the fixture's 32×32 frames. */
const meta = JSON.parse(readFileSync(join(OFFICIAL_TINY, 'meta.json'), 'utf8')) as {
  vae: {
    config: {
      dim: number;
      z_dim: number;
      dim_mult: number[];
      num_res_blocks: number;
      attn_scales: number[];
      temperal_downsample: boolean[];
    };
  };
};
const FIXTURE_PRESET: ModelPreset = {
  ...TINY,
  name: 'checkpoint',
  resolution: { height: 32, width: 32 },
  vae: {
    dim: meta.vae.config.dim,
    zDim: meta.vae.config.z_dim,
    dimMult: meta.vae.config.dim_mult,
    numResBlocks: meta.vae.config.num_res_blocks,
    temporalDownsample: meta.vae.config.temperal_downsample,
  },
};

/** fp16 graphs keep RMS_norm and the latent (de)normalisation in fp32; the rest rounds to 11-bit mantissas. */
const FP16_BOUND = { encode: 5e-3, decode: 3e-2 };

/** Serialised model of a network with the fixture checkpoint's tensors, matched 1:1 by name and shape. */
function withCheckpoint(def: NetworkDefinition): Uint8Array {
  const source = openTensorFile(CHECKPOINT);
  try {
    return modelBytes(def.graph, checkpointWeightsFromSources(def, [{ source, prefix: '' }], 0).values);
  } finally {
    source.close();
  }
}

/** `encode_input` (3, 9, 32, 32) streamed as the release chunks it: 1 frame, then 4, then 4. */
async function encodeFixture(floatType: DType): Promise<ref.Vol> {
  const def = buildVaeEncoder(FIXTURE_PRESET, { floatType });
  const clip = ref.vol(3, 9, 32, 32, f32(fixture, 'encode_input'));
  const calls = [0, 1, 5].map((start) => ({
    frames: ref.feedOf(ref.framesOf(clip, start, start === 0 ? 1 : start + 4)),
  }));
  const outs = await ref.runStream(withCheckpoint(def), cacheSlots(def), calls);
  return outs.map((o) => ref.volOf(o.latent!)).reduce((a, b) => ref.catFrames(a, b));
}

/** `decode_input` (16, 3, 4, 4) streamed one latent per call. */
async function decodeFixture(floatType: DType, latents = 3): Promise<ref.Vol> {
  const def = buildVaeDecoder(FIXTURE_PRESET, { floatType });
  const input = ref.vol(16, 3, 4, 4, f32(fixture, 'decode_input'));
  const calls = Array.from({ length: latents }, (_, i) => ({
    latent: ref.feedOf(ref.framesOf(input, i, i + 1)),
  }));
  const outs = await ref.runStream(withCheckpoint(def), cacheSlots(def), calls);
  return outs.map((o) => ref.volOf(o.frames!)).reduce((a, b) => ref.catFrames(a, b));
}

const cacheSlots = (def: NetworkDefinition) => def.metadata!.caches as CacheSlot[];

describe('Wan VAE against the release (official-tiny fixture, vae_tiny.pth)', () => {
  it('the tiny preset is the fixture’s VAE (no attention scales, as in the release)', () => {
    assert.deepEqual(TINY.vae, FIXTURE_PRESET.vae);
    assert.deepEqual(TINY.resolution, FIXTURE_PRESET.resolution);
    assert.deepEqual(meta.vae.config.attn_scales, []);
  });

  it('encoding [f0, f0, f1 … f7] chunk by chunk (1, 4, 4 frames) gives WanVAE.encode’s latents (fp32, rel ≤ 1e-4)', async () => {
    const latents = await encodeFixture('float32');
    assert.deepEqual([latents.c, latents.t, latents.h, latents.w], [16, 3, 4, 4]);
    const rel = relativeError(latents.data, f32(fixture, 'latent_full'));
    console.log(`      vae_encoder fp32 vs release: rel ${rel.toExponential(2)}`);
    assert.ok(rel <= 1e-4, `rel ${rel}`);
  });

  it('decoding the 3 latents one per call gives WanVAE.decode’s 9 clamped frames (fp32, rel ≤ 1e-4)', async () => {
    const frames = await decodeFixture('float32');
    const official = f32(fixture, 'decoded');
    assert.deepEqual([frames.c, frames.t, frames.h, frames.w], [3, 9, 32, 32]);
    const rel = relativeError(frames.data, official);
    console.log(`      vae_decoder fp32 vs release: rel ${rel.toExponential(2)}`);
    assert.ok(rel <= 1e-4, `rel ${rel}`);
    // The fixture exercises the clamp: some official values sit exactly on ±1.
    const clamped = official.filter((v) => Math.abs(v) === 1).length;
    assert.ok(clamped > 0, 'the official frames reach the clamp');
    assert.equal(frames.data.filter((v, i) => Math.abs(official[i]!) === 1 && v !== official[i]).length, 0);
  });

  it('the whole-clip graphs (9 frames in one call, 3 latents in one call) give the same release outputs (fp32)', async () => {
    const f = { floatType: 'float32' } as const;
    // The streaming definitions with their graphs swapped: same parameters, same checkpoint share.
    const enc = {
      ...buildVaeEncoder(FIXTURE_PRESET, f),
      graph: buildVaeEncoderGraph(FIXTURE_PRESET, { ...f, clipFrames: 9 }).graph,
    };
    const dec = {
      ...buildVaeDecoder(FIXTURE_PRESET, f),
      graph: buildVaeDecoderGraph(FIXTURE_PRESET, { ...f, clipFrames: 3 }).graph,
    };
    const latents = await runModel(withCheckpoint(enc), {
      frames: { data: f32(fixture, 'encode_input'), dims: [1, 3, 9, 32, 32] },
    });
    const frames = await runModel(withCheckpoint(dec), {
      latent: { data: f32(fixture, 'decode_input'), dims: [1, 16, 3, 4, 4] },
    });
    assert.ok(relativeError(latents.latent!.data, f32(fixture, 'latent_full')) <= 1e-4);
    assert.ok(relativeError(frames.frames!.data, f32(fixture, 'decoded')) <= 1e-4);
  });

  it('the first latent decoded alone (one call, first_chunk = 1) is the release’s first frame: decoding is causal', async () => {
    const first = await decodeFixture('float32', 1);
    const official = ref.framesOf(ref.vol(3, 9, 32, 32, f32(fixture, 'decoded')), 0, 1);
    assert.equal(first.t, 1);
    assert.ok(relativeError(first.data, official.data) <= 1e-4);
  });

  it(`fp16 graphs (fp16 weights, activations and caches) stay within rel ${FP16_BOUND.encode} (encode) and ${FP16_BOUND.decode} (decode) of the release`, async () => {
    const enc = relativeError((await encodeFixture('float16')).data, f32(fixture, 'latent_full'));
    const dec = relativeError((await decodeFixture('float16')).data, f32(fixture, 'decoded'));
    console.log(
      `      fp16 vs release: encode rel ${enc.toExponential(2)}, decode rel ${dec.toExponential(2)}`,
    );
    assert.ok(enc <= FP16_BOUND.encode, `encode rel ${enc}`);
    assert.ok(dec <= FP16_BOUND.decode, `decode rel ${dec}`);
  });

  it('the encoder and decoder together take every tensor of the checkpoint, and neither takes one twice', () => {
    const source = openTensorFile(CHECKPOINT);
    try {
      const defs = [buildVaeEncoder, buildVaeDecoder].map((b) => b(FIXTURE_PRESET, { floatType: 'float32' }));
      assert.deepEqual(unclaimedTensors([{ source, prefix: '' }], defs), []);
      const claimed = defs.flatMap((d) => d.graph.parameters.map((p) => p.name));
      assert.equal(claimed.length, source.names().length);
      assert.equal(new Set(claimed).size, claimed.length);
    } finally {
      source.close();
    }
  });

  it('refuses the checkpoint for a VAE of another width (dim 8), listing the mis-shaped tensors', () => {
    const wider = { ...FIXTURE_PRESET, vae: { ...FIXTURE_PRESET.vae, dim: 8 } };
    const cases = [
      [
        buildVaeEncoder(wider, { floatType: 'float32' }),
        'encoder.conv1.weight expected [8, 3, 3, 3, 3] got [4, 3, 3, 3, 3]',
      ],
      [
        buildVaeDecoder(wider, { floatType: 'float32' }),
        'decoder.conv1.weight expected [32, 16, 3, 3, 3] got [16, 16, 3, 3, 3]',
      ],
    ] as const;
    const source = openTensorFile(CHECKPOINT);
    try {
      for (const [def, line] of cases) {
        assert.throws(
          () => checkpointWeightsFromSources(def, [{ source, prefix: '' }], 0),
          (e: Error) => {
            assert.ok(e instanceof WeightMismatchError, String(e));
            assert.deepEqual(e.missing, []);
            // all but the latent-wide 1³ conv (weight, bias) and the bias of the last conv (32 or 3 channels)
            assert.equal(e.misshaped.length, def.graph.parameters.length - 3);
            assert.ok(e.message.includes(line), e.message);
            return true;
          },
        );
      }
    } finally {
      source.close();
    }
  });
});
